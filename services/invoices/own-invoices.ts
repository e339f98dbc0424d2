import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { EntityManager } from '@mikro-orm/core';
import type { Config } from '../../config/env';
import { Invoice } from '../../db/entities';
import {
  creditNotesOfInvoices,
  invoicesOfCustomer,
  refundsOfInvoices,
  type InvoiceRow,
} from '../../db/invoice-reads';
import { customerIdOf } from '../../db/customer-reads';
import { sqlFor } from '../../db/raw-sql';
import { AppError, notFound } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { decodeCursor, encodeCursor } from '../../db/keyset-pagination';
import { rememberedInvoicePage } from './invoice-page-memo';

/** What went back to the customer on one invoice, in cents. */
export interface MoneyBack {
  /** Refunded on the invoice's charges (refunds a credit note made included). */
  refundedCents: number;
  /** Credit notes not voided, less the parts they paid back as refunds (counted above). */
  creditedCents: number;
}

/** What went back on each of these invoices (by Stripe id), from the charge and credit note mirror. */
export async function moneyBackOf(
  em: EntityManager,
  stripeInvoiceIds: string[],
): Promise<Map<string, MoneyBack>> {
  const out = new Map<string, MoneyBack>();
  const at = (id: string) => {
    let back = out.get(id);
    if (!back) out.set(id, (back = { refundedCents: 0, creditedCents: 0 }));
    return back;
  };
  const sql = sqlFor(em);
  const [refunds, creditNotes] = await Promise.all([
    refundsOfInvoices(sql, stripeInvoiceIds),
    creditNotesOfInvoices(sql, stripeInvoiceIds),
  ]);
  for (const r of refunds) at(r.stripeInvoiceId).refundedCents += r.cents;
  for (const c of creditNotes) at(c.stripeInvoiceId).creditedCents += c.cents;
  return out;
}

/** A page of a customer's invoices, shared by every read that finds it unchanged: not to be modified. */
export interface InvoicePage {
  readonly invoices: readonly InvoiceRow[];
  readonly nextCursor: string | null;
  readonly moneyBack: ReadonlyMap<string, MoneyBack>;
}

const NO_INVOICES: InvoicePage = { invoices: [], nextCursor: null, moneyBack: new Map() };

/**
 * The caller's invoices, newest first, one page after `cursor`, with what went back on each: plain SQL
 * (db/invoice-reads.ts), the customer's id from its cache, no entities; the first page remembered until
 * the customer's invoice list version moves (invoice-page-memo.ts).
 */
export async function listOwnInvoices(
  em: EntityManager,
  identity: Identity,
  q: { limit: number; cursor?: string },
): Promise<InvoicePage> {
  const customerId = await customerIdOf(em, identity.sub);
  if (!customerId) return NO_INVOICES;
  const after = q.cursor ? decodeCursor(q.cursor, { kind: 'date' }) : null;
  const build = async (): Promise<InvoicePage> => {
    const rows = await invoicesOfCustomer(em, customerId, {
      limit: q.limit + 1,
      after: after ? { createdAt: after.value as Date, id: after.id } : undefined,
    });
    const invoices = rows.slice(0, q.limit);
    const last = invoices[invoices.length - 1];
    const nextCursor = rows.length > q.limit && last ? encodeCursor(last.createdAt.getTime(), last.id) : null;
    const moneyBack = new Map<string, MoneyBack>(
      invoices
        .filter((i) => i.refundedCents > 0 || i.creditedCents > 0)
        .map((i) => [i.stripeInvoiceId, { refundedCents: i.refundedCents, creditedCents: i.creditedCents }]),
    );
    return Object.freeze({
      invoices: Object.freeze(invoices.map((i) => Object.freeze(i))),
      nextCursor,
      moneyBack,
    });
  };
  // The first page is what the dashboard reads on every visit; later ones are read once, in turn.
  return after ? build() : rememberedInvoicePage(em, customerId, `first|${q.limit}`, build);
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
