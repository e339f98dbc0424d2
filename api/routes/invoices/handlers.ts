import type { HandlerInput } from '../../routing/define-route';
import { listOwnInvoices, openOwnInvoicePdf } from '../../../services/invoices/own-invoices';
import { invoiceDto, upcomingInvoiceDto } from './dto';
import { ownUpcomingInvoice } from '../../../services/invoices/upcoming-invoice';
import type { explainParams, explainQuery, invoicePdfParams, invoicesQuery } from './schemas';
import { explainOwnInvoice } from '../../../services/invoices/explain-invoice';
import { invoiceExplanationCsv, invoiceExplanationDto } from './explain-dto';

/**
 * The body is a bare array of invoices, as clients already read it; the next page is announced in
 * `X-Next-Cursor` and in a `Link` header (RFC 8288), and asked for with `?cursor=`.
 */
export async function listInvoices({
  deps,
  identity,
  query,
  ctx,
}: HandlerInput<undefined, typeof invoicesQuery, undefined, 'viewer'>) {
  const page = await listOwnInvoices(deps.orm.em, identity, query);
  if (page.nextCursor) {
    ctx.set('X-Next-Cursor', page.nextCursor);
    const next = `${ctx.path}?limit=${query.limit}&cursor=${encodeURIComponent(page.nextCursor)}`;
    ctx.set('Link', `<${next}>; rel="next"`);
  }
  // `/api/v1/billing/invoices` → `/api/v1/billing`: the PDF route sits beside this one, whatever the prefix.
  const billingBase = ctx.path.replace(/\/invoices$/, '');
  return page.invoices.map((inv) => invoiceDto(inv, billingBase, page.moneyBack.get(inv.stripeInvoiceId)));
}

export async function invoicePdf({
  deps,
  identity,
  params,
  ctx,
}: HandlerInput<typeof invoicePdfParams, undefined, undefined, 'viewer'>) {
  const pdf = await openOwnInvoicePdf(deps.orm.em.fork(), identity, params.stripe_invoice_id, deps.config);
  ctx.status = 200;
  ctx.type = 'application/pdf';
  ctx.set('Content-Disposition', `inline; filename="${pdf.filename}"`);
  ctx.set('Cache-Control', 'private, no-store');
  if (pdf.length) ctx.length = pdf.length;
  ctx.body = pdf.body;
  return undefined;
}

export async function upcomingInvoice({
  deps,
  identity,
}: HandlerInput<undefined, undefined, undefined, 'viewer'>) {
  return upcomingInvoiceDto(await ownUpcomingInvoice(deps, identity));
}

/** The explanation as JSON, or as CSV when asked (`?format=csv`), a download named after the invoice. */
export async function explainInvoice({
  deps,
  identity,
  params,
  query,
  ctx,
}: HandlerInput<typeof explainParams, typeof explainQuery, undefined, 'viewer'>) {
  const explanation = await explainOwnInvoice(deps, identity, params.id);
  if (query.format === 'json') return invoiceExplanationDto(explanation);
  ctx.status = 200;
  ctx.type = 'text/csv; charset=utf-8';
  ctx.set('Content-Disposition', `attachment; filename="${params.id}-explained.csv"`);
  ctx.set('Cache-Control', 'private, no-store');
  ctx.body = invoiceExplanationCsv(explanation);
  return undefined;
}
