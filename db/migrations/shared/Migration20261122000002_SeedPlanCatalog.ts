import { Migration } from '@mikro-orm/migrations';
import { PLAN_CATALOG } from '../../../domain/plan-catalog';

/** Seeds version 1 of the shipped plan catalog; ids are fixed so every database agrees on them. */
export class Migration20261122000002_SeedPlanCatalog extends Migration {
  override async up(): Promise<void> {
    const now = new Date('2026-11-22T00:00:00Z');
    const rows = PLAN_CATALOG.map((p) => ({
      id: `plan_${p.code}_v1`,
      code: p.code,
      version: 1,
      is_current: true,
      status: 'active',
      name: p.name,
      display_name: p.displayName,
      description: p.description,
      currency: 'usd',
      price_monthly_cents: p.priceMonthlyCents,
      price_yearly_cents: p.priceYearlyCents,
      trial_days: p.trialDays,
      services: JSON.stringify(p.services),
      features: JSON.stringify(p.features),
      included_credits: p.includedCredits,
      overage_per1k_cents: p.overagePer1kCents,
      daily_api_calls: p.dailyApiCalls,
      sort_order: p.sortOrder,
      created_at: now,
      updated_at: now,
    }));
    this.addSql(this.getKnex().insert(rows).into('plans').toQuery());
  }

  override async down(): Promise<void> {
    this.addSql(this.getKnex().delete().from('plans').where('version', 1).toQuery());
  }
}
