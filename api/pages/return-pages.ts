import type Router from '@koa/router';

/**
 * Where Stripe sends a customer back from Checkout and the billing portal when the caller named no URL
 * of its own: small pages of the engine's, until the web app serves these paths. They echo nothing from
 * the request and load nothing, so the policy can forbid everything.
 */
const PAGES: Record<string, { title: string; text: string }> = {
  '/billing/success': {
    title: 'Payment received',
    text: 'Thank you: your subscription is being set up and is active within a few seconds. You can close this page.',
  },
  '/billing/canceled': {
    title: 'Checkout canceled',
    text: 'Nothing was charged. You can start again whenever you like.',
  },
  '/billing': {
    title: 'Billing',
    text: 'You are back from the billing portal. Your changes are applied within a few seconds.',
  },
};

const POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function page(title: string, text: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><p>${text}</p></body></html>`;
}

export function mountReturnPages(router: Router): void {
  for (const [path, { title, text }] of Object.entries(PAGES)) {
    const html = page(title, text);
    router.get(path, (ctx) => {
      ctx.set('Content-Security-Policy', POLICY);
      ctx.set('Cache-Control', 'no-store');
      ctx.type = 'html';
      ctx.body = html;
    });
  }
}
