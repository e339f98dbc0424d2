import type { HandlerInput } from '../../routing/define-route';
import { usageRevenue } from '../../../services/revenue/usage-revenue';
import type { usageRevenueQuery } from './schemas';

export async function getUsageRevenue({
  deps,
  query,
}: HandlerInput<undefined, typeof usageRevenueQuery, undefined, 'admin'>) {
  const r = await usageRevenue(deps.orm.em.fork(), {
    now: new Date(),
    month: query.month,
    currency: query.currency,
  });
  return {
    month: r.month,
    currency: r.currency,
    lines: r.lines.map((l) => ({
      key: l.key,
      usage_type: l.usageType,
      match: l.match,
      byok: l.byok,
      units: l.units,
      included_used: l.includedUsed,
      cost_cents: l.cents,
      customers: l.customers,
    })),
    total_cents: r.totalCents,
  };
}
