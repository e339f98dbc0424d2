import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Emulator } from './emulator';
import { StripeApiError } from './errors';
import { parseForm } from './form';
import { renderPdf } from './pdf';
import type {
  CheckoutSessionRec,
  CustomerRec,
  InvoiceRec,
  PaymentIntentRec,
  PortalSessionRec,
  SubscriptionRec,
} from './types';
import {
  collectsCard,
  finishCheckoutAuthentication,
  refreshCheckoutSession,
  submitCheckoutCard,
} from './billing/checkout';
import { attemptInvoicePayment, completeAuthentication } from './billing/invoices';
import { attachPaymentMethod, cardFromNumber, createCardPaymentMethod } from './billing/payment-methods';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function money(amount: number, currency: string): string {
  return `${(amount / 100).toFixed(2)} ${currency.toUpperCase()}`;
}

function page(res: ServerResponse, status: number, title: string, body: string): void {
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}
input,button{font-size:1rem;padding:.5rem;margin:.25rem 0;width:100%;box-sizing:border-box}.error{color:#b00}</style>
</head><body><h1>${esc(title)}</h1>${body}<p><small>Stripe emulator (test mode)</small></p></body></html>`;
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(html);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location });
  res.end();
}

function checkoutForm(s: CheckoutSessionRec, error?: string): string {
  const setup = s.mode === 'setup';
  const total = esc(money(s.amount_total ?? 0, s.currency ?? 'usd'));
  const [intro, button] =
    s.mode === 'setup'
      ? ['Save a card for future payments. Nothing is charged now.', 'Save card']
      : s.mode === 'payment'
        ? [`Pay ${total}`, 'Pay']
        : collectsCard(s)
          ? [`Subscribe — ${total}`, 'Subscribe']
          : ['Start your free trial', 'Start trial'];
  // An explicit action: the form is also drawn in answer to the 3-D Secure step, at that step's address.
  return `${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}
<p>${intro}</p>
<form method="post" action="/checkout/${esc(s.id)}">
${setup ? '' : `<label>Email <input name="email" type="email" value="${esc(s.customer_email ?? '')}"></label>`}
${
  collectsCard(s)
    ? `<label>Card number <input name="card_number" value="4242 4242 4242 4242" autocomplete="off"></label>
<label>Name on card <input name="name"></label>`
    : '<p>No card needed: nothing is charged during the trial.</p>'
}
${taxFields(s)}<button type="submit">${button}</button></form>
${s.cancel_url ? `<p><a href="${esc(s.cancel_url)}">Cancel</a></p>` : ''}`;
}

/** The billing address's country (Stripe Tax needs it) and a VAT number, when the session collects them. */
function taxFields(s: CheckoutSessionRec): string {
  const address = s.automatic_tax?.enabled || s.billing_address_collection === 'required';
  return (
    (address ? `<label>Country (two letters) <input name="country" maxlength="2" required></label>\n` : '') +
    (s.tax_id_collection?.enabled ? `<label>EU VAT number (businesses) <input name="tax_id"></label>\n` : '')
  );
}

/** The challenge Stripe's test mode shows for a card that needs 3-D Secure: the tester picks the outcome. */
function checkoutChallenge(s: CheckoutSessionRec): string {
  const last4 = (s._authentication?.cardNumber ?? '').slice(-4);
  const what =
    s.mode === 'setup'
      ? 'saving this card'
      : `a payment of ${esc(money(s.amount_total ?? 0, s.currency ?? 'usd'))}`;
  return `<p>Your bank asks you to confirm ${what} with the card ending ${esc(last4)}.</p>
<p><small>This is a test 3-D Secure page: choose whether the authentication succeeds.</small></p>
<form method="post" action="/checkout/${esc(s.id)}/authenticate">
<button name="outcome" value="succeed">Complete authentication</button>
<button name="outcome" value="fail">Fail authentication</button></form>`;
}

function checkoutDone(res: ServerResponse, s: CheckoutSessionRec): void {
  if (s.success_url) redirect(res, s.success_url.replace('{CHECKOUT_SESSION_ID}', s.id));
  else if (s.mode === 'setup') page(res, 200, 'Card saved', '<p>Your card is saved.</p>');
  else if (s.mode === 'payment') page(res, 200, 'Payment received', '<p>Thank you for your payment.</p>');
  else page(res, 200, 'Thanks for subscribing', '<p>Your subscription is active.</p>');
}

function invoiceLines(emu: Emulator, inv: InvoiceRec): string[] {
  const customer = emu.store.find(inv.customer) as CustomerRec | undefined;
  return [
    `Invoice ${inv.number ?? inv.id}`,
    `Status: ${inv.status ?? ''}`,
    `Customer: ${customer?.name ?? customer?.email ?? inv.customer}`,
    `Date: ${new Date(inv.created * 1000).toISOString().slice(0, 10)}`,
    '',
    ...inv.lines.map((l) => `${l.description ?? ''}  ${money(l.amount, l.currency)}`),
    '',
    `Total: ${money(inv.total, inv.currency)}`,
    `Amount due: ${money(inv.amount_due, inv.currency)}`,
    `Amount paid: ${money(inv.amount_paid, inv.currency)}`,
  ];
}

/** Pages a browser visits: Checkout, the billing portal, hosted invoices, their PDFs and 3-D Secure. */
export async function handleHosted(
  emu: Emulator,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  body: string,
): Promise<boolean> {
  const parts = url.pathname.split('/').filter(Boolean);
  const [kind, id, extra] = parts;
  if (!kind || !id) return false;
  const rec = emu.store.find(id);
  const form = req.method === 'POST' ? parseForm(body) : {};
  const field = (k: string) => (typeof form[k] === 'string' ? (form[k] as string) : undefined);

  if (kind === 'checkout' && rec?.object === 'checkout.session') {
    // Past its `expires_at` the page says the session has expired; an anchored one shows today's stub.
    const s = refreshCheckoutSession(emu, rec as CheckoutSessionRec);
    const message = (e: unknown) => (e instanceof StripeApiError ? e.message : String(e));
    if (extra === 'authenticate') {
      if (req.method === 'POST' && s.status === 'open' && s._authentication) {
        try {
          finishCheckoutAuthentication(emu, s, field('outcome') === 'succeed');
        } catch (e) {
          // Failed: back to the form, the session still open, to try another card.
          page(res, 402, 'Checkout', checkoutForm(s, message(e)));
          return true;
        }
        checkoutDone(res, s);
      } else if (s.status === 'open' && s._authentication) {
        page(res, 200, '3-D Secure authentication', checkoutChallenge(s));
      } else redirect(res, `/checkout/${s.id}`);
      return true;
    }
    if (req.method === 'POST') {
      let next: 'authenticate' | 'complete';
      try {
        next = submitCheckoutCard(emu, s, {
          cardNumber: (field('card_number') ?? '').replace(/\s/g, ''),
          email: field('email') || undefined,
          name: field('name') || undefined,
          ...(field('country') ? { address: { country: field('country') as string } } : {}),
          ...(field('tax_id') ? { taxId: { type: 'eu_vat', value: field('tax_id') as string } } : {}),
        });
      } catch (e) {
        page(res, 402, 'Checkout', checkoutForm(s, message(e)));
        return true;
      }
      if (next === 'authenticate') redirect(res, `/checkout/${s.id}/authenticate`);
      else checkoutDone(res, s);
      return true;
    }
    if (s.status !== 'open') page(res, 410, 'Checkout', `<p>This session is ${esc(s.status ?? '')}.</p>`);
    else page(res, 200, 'Checkout', checkoutForm(s));
    return true;
  }
  if (kind === 'portal' && rec?.object === 'billing_portal.session') {
    const s = rec as PortalSessionRec;
    const subs = emu.store.all<SubscriptionRec>('subscription').filter((x) => x.customer === s.customer);
    const invoices = emu.store
      .all<InvoiceRec>('invoice')
      .filter((x) => x.customer === s.customer && x.status !== 'draft');
    page(
      res,
      200,
      'Billing portal',
      `<h2>Subscriptions</h2><ul>${subs.map((x) => `<li>${esc(x.id)} — ${esc(x.status)}</li>`).join('')}</ul>
<h2>Invoices</h2><ul>${invoices
        .map(
          (i) =>
            `<li><a href="/invoice/${esc(i.id)}">${esc(i.number ?? i.id)}</a> — ${esc(money(i.total, i.currency))} — ${esc(i.status ?? '')}</li>`,
        )
        .join('')}</ul>${s.return_url ? `<p><a href="${esc(s.return_url)}">Return</a></p>` : ''}`,
    );
    return true;
  }
  if (kind === 'invoice' && rec?.object === 'invoice') {
    const inv = rec as InvoiceRec;
    if (extra === 'pdf') {
      const pdf = renderPdf(invoiceLines(emu, inv));
      res.writeHead(200, {
        'content-type': 'application/pdf',
        'content-length': pdf.length,
        'content-disposition': `inline; filename="${inv.number ?? inv.id}.pdf"`,
      });
      res.end(pdf);
      return true;
    }
    let error = '';
    if (req.method === 'POST' && inv.status === 'open') {
      try {
        const card = cardFromNumber((field('card_number') ?? '').replace(/\s/g, ''), 'card_number');
        const pm = createCardPaymentMethod(emu, card);
        attachPaymentMethod(emu, pm, emu.store.get<CustomerRec>('customer', inv.customer));
        attemptInvoicePayment(emu, inv, { paymentMethod: pm.id, raise: true });
      } catch (e) {
        error = e instanceof StripeApiError ? e.message : String(e);
      }
    }
    const pay =
      inv.status === 'open'
        ? `<form method="post"><label>Card number <input name="card_number" value="4242 4242 4242 4242"></label><button>Pay</button></form>`
        : '';
    page(
      res,
      error ? 402 : 200,
      `Invoice ${inv.number ?? inv.id}`,
      `${error ? `<p class="error">${esc(error)}</p>` : ''}<pre>${esc(invoiceLines(emu, inv).join('\n'))}</pre>${pay}
<p><a href="/invoice/${esc(inv.id)}/pdf">Download PDF</a></p>`,
    );
    return true;
  }
  if (kind === 'authenticate' && rec?.object === 'payment_intent') {
    const pi = rec as PaymentIntentRec;
    if (req.method === 'POST' && pi.status === 'requires_action') {
      completeAuthentication(emu, pi, field('outcome') !== 'fail');
    }
    page(
      res,
      200,
      '3-D Secure authentication',
      pi.status === 'requires_action'
        ? `<form method="post"><button name="outcome" value="succeed">Complete authentication</button>
<button name="outcome" value="fail">Fail authentication</button></form>`
        : `<p>Payment ${esc(pi.status)}.</p>`,
    );
    return true;
  }
  return false;
}
