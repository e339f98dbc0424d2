import { EntitySchema, type Opt } from '@mikro-orm/core';

/**
 * A customer's own choices about credits and spend: auto top-up, the spend cap and alert thresholds.
 * A null threshold means the plan's default (plans.alert_defaults), then the engine's.
 */
export class CreditSettings {
  customerId!: string;
  autoTopUpEnabled: Opt<boolean> = false;
  /** Top up when the prepaid balance falls below this many credits. */
  autoTopUpThreshold?: number | null;
  autoTopUpPackId?: string | null;
  /** Why the engine turned auto top-up off (a declined card), shown on the dashboard until changed. */
  autoTopUpNote?: string | null;
  /** Most overage a period may cost, in cents; null: no cap. */
  spendCapCents?: number | null;
  /** `block`: usage past the cap is refused; `notify`: it is billed and the customer told. */
  spendCapMode: Opt<'block' | 'notify'> = 'block';
  /** The highest cap the customer may set, fixed by an admin; null: no limit. */
  spendCapMaxCents?: number | null;
  alertIncludedPercent?: number | null;
  alertBalanceBelow?: number | null;
  alertOverageCents?: number | null;
  /**
   * When the auto top-up choice last changed (set by the service, not on every write): it names the crossing
   * (domain/credit-purchase.ts topUpCrossingKey), so a spend cap or alert saved later is no new crossing.
   */
  updatedAt: Opt<Date> = new Date();
}

export const CreditSettingsSchema = new EntitySchema<CreditSettings>({
  class: CreditSettings,
  tableName: 'credit_settings',
  properties: {
    customerId: { type: 'string', primary: true, length: 40 },
    autoTopUpEnabled: { type: 'boolean', default: false },
    autoTopUpThreshold: { type: 'integer', nullable: true },
    autoTopUpPackId: { type: 'string', length: 40, nullable: true },
    autoTopUpNote: { type: 'text', nullable: true },
    spendCapCents: { type: 'integer', nullable: true },
    spendCapMode: { type: 'string', length: 8, default: 'block' },
    spendCapMaxCents: { type: 'integer', nullable: true },
    alertIncludedPercent: { type: 'integer', nullable: true },
    alertBalanceBelow: { type: 'integer', nullable: true },
    alertOverageCents: { type: 'integer', nullable: true },
    updatedAt: { type: 'Date' },
  },
});
