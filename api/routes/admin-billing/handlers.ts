import type { HandlerInput } from '../../routing/define-route';
import { issueCreditNoteAsAdmin } from '../../../services/invoices/issue-credit-note';
import { refundInvoiceAsAdmin } from '../../../services/invoices/refund-invoice';
import { cached } from '../../../services/revenue/cache';
import {
  changeSubscriptionAsAdmin,
  previewAdminPlanChange,
} from '../../../services/subscriptions/change-as-admin';
import { subscriptionDetailByEmail } from '../../../services/admin-lists/subscription-detail';
import { subscriptionDetailDto } from './subscription-detail-dto';
import { adminChangeDto } from './plan-change-dto';
import { planChangePreviewDto } from '../plan-change-preview-dto';
import { listCharges, listCustomers, listSubscriptions } from '../../../services/admin-lists/lists';
import { exportCustomersCsv } from '../../../services/admin-lists/export-customers';
import { analyticsOverview } from '../../../services/revenue/overview';
import { revenueMovements } from '../../../services/revenue/movements';
import { billingStats } from '../../../services/revenue/stats';
import { revenueSummary } from '../../../services/revenue/summary';
import { revenueTimeseries } from '../../../services/revenue/timeseries';
import { revenueByTier } from '../../../services/revenue/tiers';
import { defaultRange } from '../../../domain/revenue-periods';
import {
  analyticsOverviewDto,
  billingStatsDto,
  revenueByTierDto,
  revenueMovementsDto,
  revenueSummaryDto,
  revenueTimeseriesDto,
} from './revenue-dto';
import { chargePageDto, customerPageDto, subscriptionPageDto } from './lists-dto';
import { creditNoteDto, refundDto } from './money-back-dto';
import { headerIdempotencyKey, idempotencyKeyOf } from '../../validation/idempotency-key';
import { eventsBehind, explainAnyInvoice } from '../../../services/invoices/explain-invoice';
import { evidencePack } from './evidence-pack';
import { invoiceExplanationCsv } from '../invoices/explain-dto';
import { adminInvoiceExplanationDto } from './explain-dto';
import type {
  adminExplainQuery,
  creditNoteBody,
  invoiceParams,
  refundBody,
  chargesQuery,
  customersQuery,
  customersExportQuery,
  emailParams,
  movementsQuery,
  planChangePreviewQuery,
  revenueQuery,
  statsQuery,
  subscriptionPatchBody,
  subscriptionsQuery,
  timeseriesQuery,
} from './schemas';

type Read<Q, P = undefined> = HandlerInput<P, Q, undefined, 'admin'>;

export const getStats = ({ deps, query }: Read<typeof statsQuery>) => {
  const em = deps.orm.em.fork();
  return cached(em, `stats:${query.currency}`, async () =>
    billingStatsDto(await billingStats(em, { now: new Date(), currency: query.currency })),
  );
};

export const getRevenue = ({ deps, query }: Read<typeof revenueQuery>) => {
  const em = deps.orm.em.fork();
  return cached(em, `revenue:${query.currency}:${query.month ?? ''}`, async () =>
    revenueSummaryDto(
      await revenueSummary(em, { now: new Date(), month: query.month, currency: query.currency }),
    ),
  );
};

export const getTimeseries = async ({ deps, query }: Read<typeof timeseriesQuery>) =>
  revenueTimeseriesDto(
    await revenueTimeseries(deps.orm.em.fork(), { ...query, ...defaultRange(query, new Date()) }),
  );

export const getMovements = async ({ deps, query }: Read<typeof movementsQuery>) =>
  revenueMovementsDto(
    await revenueMovements(deps.orm.em.fork(), { ...query, ...defaultRange(query, new Date()) }),
  );

export const getCustomers = async ({ deps, query }: Read<typeof customersQuery>) =>
  customerPageDto(await listCustomers(deps.orm.em.fork(), query));

/** The filtered customer list as a CSV download, streamed. */
export async function exportCustomers({ deps, query, ctx }: Read<typeof customersExportQuery>) {
  ctx.status = 200;
  ctx.type = 'text/csv; charset=utf-8';
  ctx.set('Content-Disposition', 'attachment; filename="customers.csv"');
  ctx.set('Cache-Control', 'private, no-store');
  ctx.body = exportCustomersCsv(deps.orm.em.fork(), query);
  return undefined;
}

export const getSubscriptions = async ({ deps, query }: Read<typeof subscriptionsQuery>) =>
  subscriptionPageDto(await listSubscriptions(deps.orm.em.fork(), query));

export const getCharges = async ({ deps, query }: Read<typeof chargesQuery>) =>
  chargePageDto(await listCharges(deps.orm.em.fork(), query));

export const getOverview = async ({ deps, query }: Read<typeof statsQuery>) =>
  analyticsOverviewDto(
    await analyticsOverview(deps.orm.em.fork(), { now: new Date(), currency: query.currency }),
  );

export const getRevenueByTier = async ({ deps, query }: Read<typeof statsQuery>) =>
  revenueByTierDto(await revenueByTier(deps.orm.em.fork(), { now: new Date(), currency: query.currency }));

export const getSubscriptionByEmail = async ({ deps, params }: Read<undefined, typeof emailParams>) =>
  subscriptionDetailDto(await subscriptionDetailByEmail(deps.orm.em.fork(), params.email), deps.config);

export async function patchSubscription({
  deps,
  identity,
  params,
  body,
  ctx,
}: HandlerInput<typeof emailParams, undefined, typeof subscriptionPatchBody, 'admin'>) {
  const done = await changeSubscriptionAsAdmin(deps, identity, params.email, {
    tierId: body.tier,
    billingCycle: body.billing_cycle,
    when: body.when,
    status: body.status,
    cancelAtPeriodEnd: body.cancel_at_period_end,
    reason: body.reason,
    idempotencyKey: headerIdempotencyKey(ctx),
  });
  return adminChangeDto(done);
}

export const refundInvoice = async ({
  deps,
  identity,
  params,
  body,
  ctx,
}: HandlerInput<typeof invoiceParams, undefined, typeof refundBody, 'admin'>) =>
  refundDto(
    await refundInvoiceAsAdmin(deps, identity, {
      invoiceId: params.id,
      amountCents: body.amount_cents,
      reason: body.reason,
      idempotencyKey: idempotencyKeyOf(ctx, body.idempotency_key),
    }),
  );

export const postCreditNote = async ({
  deps,
  identity,
  params,
  body,
  ctx,
}: HandlerInput<typeof invoiceParams, undefined, typeof creditNoteBody, 'admin'>) =>
  creditNoteDto(
    await issueCreditNoteAsAdmin(deps, identity, {
      invoiceId: params.id,
      amountCents: body.amount_cents,
      reason: body.reason,
      memo: body.memo,
      idempotencyKey: idempotencyKeyOf(ctx, body.idempotency_key),
    }),
  );

export async function previewPlanChangeForCustomer({
  deps,
  params,
  query,
}: HandlerInput<typeof emailParams, typeof planChangePreviewQuery, undefined, 'admin'>) {
  const p = await previewAdminPlanChange(deps, params.email, {
    tierId: query.tier_id,
    billingCycle: query.billing_cycle,
    when: query.when,
  });
  return planChangePreviewDto(p);
}

/** Any invoice explained with its ids and links, as JSON; the customer's CSV, or the evidence pack, when asked. */
export async function explainInvoiceForAdmin({
  deps,
  params,
  query,
  ctx,
}: Read<typeof adminExplainQuery, typeof invoiceParams>) {
  const explanation = await explainAnyInvoice(deps, params.id);
  if (query.format === 'json') return adminInvoiceExplanationDto(explanation, deps.config);
  const name = `${explanation.invoice.stripeInvoiceId}-${query.format === 'zip' ? 'evidence.zip' : 'explained.csv'}`;
  ctx.status = 200;
  ctx.type = query.format === 'zip' ? 'application/zip' : 'text/csv; charset=utf-8';
  ctx.set('Content-Disposition', `attachment; filename="${name}"`);
  ctx.set('Cache-Control', 'private, no-store');
  ctx.body =
    query.format === 'zip'
      ? evidencePack(explanation, await eventsBehind(deps, explanation), deps.config)
      : invoiceExplanationCsv(explanation);
  return undefined;
}
