import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { EntityManager } from '@mikro-orm/core';
import type { Config } from '../../config/env';
import { Invoice } from '../../db/entities';
import { AppError, notFound } from '../../domain/errors';
import { centsToDollars } from '../../domain/money';
import type { Identity } from '../../domain/identity';
import { findCustomerFor } from '../customers/find-customer';
import { seekPage, sortKey } from '../../db/keyset-pagination';

/** Seed 001's invoice fields (dollars, ISO dates) beside cents and the engine's own PDF link. */
export function invoiceDto(inv: Invoice, billingBase: string) {
  return {
    id: inv.stripeInvoiceId,
    number: inv.number ?? null,
    amount_due: centsToDollars(inv.amountDueCents),
    amount_paid: centsToDollars(inv.amountPaidCents),
    amount_due_cents: inv.amountDueCents,
    amount_paid_cents: inv.amountPaidCents,
    total_cents: inv.totalCents,
    currency: inv.currency,
    status: inv.status,
    created: inv.createdAt.toISOString(),
    due_date: inv.dueDate?.toISOString() ?? null,
    paid: inv.status === 'paid',
    paid_at: inv.paidAt?.toISOString() ?? null,
    period_start: inv.periodStart?.toISOString() ?? null,
    period_end: inv.periodEnd?.toISOString() ?? null,
    invoice_pdf: inv.invoicePdf ?? null,
    hosted_invoice_url: inv.hostedInvoiceUrl ?? null,
    pdf_url: inv.invoicePdf ? `${billingBase}/invoice/${encodeURIComponent(inv.stripeInvoiceId)}/pdf` : null,
  };
}

/** The caller's invoices, newest first, one page after `cursor`. */
export async function listOwnInvoices(
  em: EntityManager,
  identity: Identity,
  q: { limit: number; cursor?: string },
): Promise<{ invoices: Invoice[]; nextCursor: string | null }> {
  const customer = await findCustomerFor(em, identity);
  if (!customer) return { invoices: [], nextCursor: null };
  const page = await seekPage(
    em,
    Invoice,
    { customer },
    {
      key: sortKey('-created', { created: { field: 'createdAt', kind: 'date' } }),
      limit: q.limit,
      cursor: q.cursor,
    },
  );
  return { invoices: page.items, nextCursor: page.nextCursor };
}

const PDF_TIMEOUT_MS = 15_000;
const MAX_REDIRECTS = 3;

/**
 * Where the engine may fetch a PDF from: Stripe's own hosts over HTTPS, or the configured Stripe API base
 * (the emulator in development). The URL comes from the mirror, but fetching whatever a row says would
 * let one bad row turn the API into a proxy for internal addresses.
 */
function allowedPdfUrl(raw: string, config: Config): URL | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (config.STRIPE_API_BASE && url.origin === new URL(config.STRIPE_API_BASE).origin) return url;
  const stripeHost = url.hostname === 'stripe.com' || url.hostname.endsWith('.stripe.com');
  return url.protocol === 'https:' && stripeHost ? url : null;
}

const upstreamFailed = (why: string) =>
  new AppError('upstream', 'invoice_pdf_unavailable', `The invoice PDF could not be fetched: ${why}`);

/**
 * The PDF of one of the caller's own invoices, streamed from Stripe's URL. Another customer's invoice is
 * a 404 (as if it did not exist), never a redirect that would hand out Stripe's capability URL.
 */
export async function openOwnInvoicePdf(
  em: EntityManager,
  identity: Identity,
  stripeInvoiceId: string,
  config: Config,
): Promise<{ body: Readable; filename: string; length: number | null }> {
  const invoice = await em.findOne(Invoice, { stripeInvoiceId, customer: { userId: identity.sub } });
  if (!invoice) throw notFound('invoice', stripeInvoiceId);
  if (!invoice.invoicePdf) {
    throw new AppError(
      'not_found',
      'invoice_pdf_not_found',
      'This invoice has no PDF yet (it is still a draft)',
    );
  }
  let url = allowedPdfUrl(invoice.invoicePdf, config);
  for (let hop = 0; url; hop++) {
    const res = await fetch(url, {
      redirect: 'manual',
      signal: AbortSignal.timeout(PDF_TIMEOUT_MS),
      headers: { accept: 'application/pdf' },
    }).catch((err: Error) => {
      throw upstreamFailed(err.name === 'TimeoutError' ? 'timed out' : 'unreachable');
    });
    if (res.status >= 300 && res.status < 400 && hop < MAX_REDIRECTS) {
      // Stripe answers invoice_pdf with a redirect to a signed file URL; each hop must stay on allowed hosts.
      await res.body?.cancel();
      url = allowedPdfUrl(new URL(res.headers.get('location') ?? '', url).toString(), config);
      continue;
    }
    const type = res.headers.get('content-type') ?? '';
    if (!res.ok || !res.body || !type.startsWith('application/pdf')) {
      await res.body?.cancel();
      throw upstreamFailed(res.ok ? `unexpected content type "${type}"` : `status ${res.status}`);
    }
    const length = Number(res.headers.get('content-length'));
    return {
      body: Readable.fromWeb(res.body as WebReadableStream<Uint8Array>),
      filename: `${(invoice.number ?? invoice.stripeInvoiceId).replace(/[^A-Za-z0-9._-]/g, '_')}.pdf`,
      length: Number.isFinite(length) && length > 0 ? length : null,
    };
  }
  throw upstreamFailed('its address is not a Stripe address');
}
