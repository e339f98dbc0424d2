import type { Context } from 'koa';
import { AppError } from '../../../domain/errors';
import type { HandlerInput } from '../../routing/define-route';
import { creditInvoiceAsAdmin } from '../../../services/invoices/credit-invoice';
import { refundInvoiceAsAdmin } from '../../../services/invoices/refund-invoice';
import { cached } from '../../../services/revenue/cache';
import {
  changeSubscriptionAsAdmin,
  previewAdminPlanChange,
  subscriptionByEmail,
} from '../../../services/subscriptions/change-as-admin';
import { centsToDollars } from '../../../domain/money';
import { listCharges, listCustomers, listSubscriptions } from '../../../services/admin-lists/lists';
import { exportCustomersCsv } from '../../../services/admin-lists/export-customers';
import {
  analyticsOverview,
  billingStats,
  revenueByTier,
  revenueMovements,
  revenueSummary,
  revenueTimeseries,
} from '../../../services/revenue/metrics';
import { chargePageDto, customerPageDto, subscriptionPageDto } from './lists-dto';
import { creditNoteDto, refundDto } from './money-back-dto';
import { idempotencyKeyField } from './schemas';
import type {
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
  return cached(em, `stats:${query.currency}`, () =>
    billingStats(em, { now: new Date(), currency: query.currency }),
  );
};

export const getRevenue = ({ deps, query }: Read<typeof revenueQuery>) => {
  const em = deps.orm.em.fork();
  return cached(em, `revenue:${query.currency}:${query.month ?? ''}`, () =>
    revenueSummary(em, { now: new Date(), month: query.month, currency: query.currency }),
  );
};

export const getTimeseries = ({ deps, query }: Read<typeof timeseriesQuery>) =>
  revenueTimeseries(deps.orm.em.fork(), { ...query, ...defaultRange(query, new Date()) });

export const getMovements = ({ deps, query }: Read<typeof movementsQuery>) =>
  revenueMovements(deps.orm.em.fork(), { ...query, ...defaultRange(query, new Date()) });

/** 30 days, or 12 months, up to today unless the caller says otherwise. */
function defaultRange(q: { from?: string; to?: string; interval: 'day' | 'month' }, now: Date) {
  const to = q.to ?? now.toISOString().slice(0, 10);
  if (q.from) return { from: q.from, to };
  const end = new Date(`${to}T00:00:00Z`);
  const from =
    q.interval === 'day'
      ? new Date(end.getTime() - 29 * 86_400_000)
      : new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() - 11, 1));
  return { from: from.toISOString().slice(0, 10), to };
}

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

export const getOverview = ({ deps, query }: Read<typeof statsQuery>) =>
  analyticsOverview(deps.orm.em.fork(), { now: new Date(), currency: query.currency });

export const getRevenueByTier = ({ deps, query }: Read<typeof statsQuery>) =>
  revenueByTier(deps.orm.em.fork(), { now: new Date(), currency: query.currency });

export const getSubscriptionByEmail = ({ deps, params }: Read<undefined, typeof emailParams>) =>
  subscriptionByEmail(deps, params.email);

export const patchSubscription = ({
  deps,
  identity,
  params,
  body,
}: HandlerInput<typeof emailParams, undefined, typeof subscriptionPatchBody, 'admin'>) =>
  changeSubscriptionAsAdmin(deps, identity, params.email, body);

/**
 * The caller's idempotency key, from the `Idempotency-Key` header or the body's `idempotency_key`; both
 * must agree when both are sent.
 */
function idempotencyKeyOf(ctx: Context, bodyKey: string | undefined): string {
  const header = ctx.get('Idempotency-Key') || undefined;
  if (header !== undefined && !idempotencyKeyField.safeParse(header).success) {
    throw new AppError(
      'invalid',
      'invalid_request',
      'The Idempotency-Key header must be 1-200 printable characters',
      { field: 'headers.idempotency-key' },
    );
  }
  if (header !== undefined && bodyKey !== undefined && header !== bodyKey) {
    throw new AppError(
      'invalid',
      'invalid_request',
      'The Idempotency-Key header and idempotency_key differ',
      {
        field: 'body.idempotency_key',
      },
    );
  }
  const key = header ?? bodyKey;
  if (key === undefined) {
    throw new AppError(
      'invalid',
      'idempotency_key_required',
      'Send an Idempotency-Key header or idempotency_key',
      {
        field: 'headers.idempotency-key',
      },
    );
  }
  return key;
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

export const creditInvoice = async ({
  deps,
  identity,
  params,
  body,
  ctx,
}: HandlerInput<typeof invoiceParams, undefined, typeof creditNoteBody, 'admin'>) =>
  creditNoteDto(
    await creditInvoiceAsAdmin(deps, identity, {
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
  const p = await previewAdminPlanChange(deps, params.email, query);
  return {
    preview: true as const,
    when: p.when,
    new_tier: p.tier,
    credit_cents: p.creditCents,
    charge_cents: p.chargeCents,
    amount_due_now_cents: p.dueNowCents,
    amount_due_now: centsToDollars(p.dueNowCents),
    next_amount_cents: p.nextAmountCents,
  };
}
