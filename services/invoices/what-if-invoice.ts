import type { EntityManager } from '@mikro-orm/core';
import { clockOf } from '../../domain/clock';
import { AppError } from '../../domain/errors';
import { POOL_LINE_KEY } from '../../domain/rate-card';
import type { UpcomingInvoice } from '../../domain/upcoming-invoice';
import { whatIfCost, type WhatIfUsage } from '../../domain/what-if-usage';
import { customerByEmailAnyCase } from '../admin-lists/subscription-detail';
import { accessOf } from '../access/check-access';
import { customerCredits } from '../credits/customer-credits';
import type { CoreDeps } from '../deps';
import { findLiveSubscription } from '../subscriptions/live-subscription';
import { usageTypes } from '../usage/usage-types';
import { usageSummaryOf } from '../usage/usage-views';
import { previewOf } from './upcoming-invoice';

export interface WhatIfInvoice {
  invoice: UpcomingInvoice;
  usage: WhatIfUsage[];
  /** The period's usage cost as it stands, with the what-if usage on top, and what the invoice bills more. */
  beforeCents: number;
  afterCents: number;
  extraCents: number;
}

/** What the customer's period would cost with `extra` on top (domain/what-if-usage.ts whatIfCost). */
async function costWithExtra(em: EntityManager, customerId: string, extra: WhatIfUsage[], now: Date) {
  const [access, credits] = await Promise.all([
    accessOf(em, customerId),
    customerCredits(em, customerId, now),
  ]);
  const summary = await usageSummaryOf(em, access, now);
  const unitsByKey = new Map(summary.cost.lines.map((l) => [l.key, l.units]));
  if (!unitsByKey.has(POOL_LINE_KEY)) unitsByKey.set(POOL_LINE_KEY, 0);
  return whatIfCost(
    {
      lines: summary.lines,
      unitsByKey,
      poolUsed: summary.credits.used,
      included: summary.credits.included,
      prepaidUsed: summary.prepaid,
      prepaidLeft: credits.balance,
    },
    extra,
  );
}

/**
 * An admin's what-if: the customer's next invoice as Stripe would issue it were `extra` usage reported on
 * top of what is known now. The engine rates the extra units as the rollup would (credits first, each
 * line on its period total) and asks Stripe to preview its cost as one more line, so the coupon and the
 * tax are Stripe's own. Nothing is stored or billed. Usage in a trial is not billed, so adds nothing.
 */
export async function customerWhatIfInvoice(
  deps: CoreDeps,
  email: string,
  extra: WhatIfUsage[],
): Promise<WhatIfInvoice> {
  const em = deps.orm.em.fork();
  const known = await usageTypes(em);
  extra.forEach((u, i) => {
    if (!known.has(u.type))
      throw new AppError('invalid', 'validation_failed', `Unknown usage type "${u.type}"`, {
        field: `usage.${i}.type`,
      });
  });
  const customer = await customerByEmailAnyCase(em, email);
  const sub = await findLiveSubscription(em, customer);
  const cost =
    sub && sub.status !== 'trialing'
      ? await costWithExtra(em, customer.id, extra, clockOf(deps).now())
      : { beforeCents: 0, afterCents: 0, extraCents: 0 };
  const units = extra.reduce((n, u) => n + u.units, 0);
  const invoice = await previewOf(
    deps,
    sub,
    cost.extraCents > 0
      ? [
          {
            amountCents: cost.extraCents,
            currency: sub?.currency ?? 'usd',
            description: `What if: ${units.toLocaleString('en-US')} more units of usage`,
          },
        ]
      : [],
  );
  return { invoice, usage: extra, ...cost };
}
