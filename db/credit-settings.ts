import type { EntityManager } from '@mikro-orm/core';
import { numOrNull, sqlFor } from './raw-sql';
import { CreditSettings } from './entities';

/**
 * Makes sure the customer has a settings row to change: one atomic statement that does nothing when the
 * row exists, so two first changes at once both find it instead of one failing on the key.
 */
export async function ensureCreditSettingsRow(
  em: EntityManager,
  customerId: string,
  now: Date,
): Promise<void> {
  const sql = sqlFor(em);
  await sql.run(
    'insert into credit_settings (customer_id, updated_at) values (?, ?) on conflict (customer_id) do nothing',
    [customerId, sql.date(now)],
  );
}

/** A customer's stored credit settings, as the reads on a report's path take them. */
export type CreditSettingsFields = Pick<
  CreditSettings,
  | 'autoTopUpEnabled'
  | 'autoTopUpThreshold'
  | 'autoTopUpPackId'
  | 'autoTopUpNote'
  | 'spendCapCents'
  | 'spendCapMode'
  | 'spendCapMaxCents'
  | 'alertIncludedPercent'
  | 'alertBalanceBelow'
  | 'alertOverageCents'
>;

/** What credit_settings stores of a customer's spend cap. */
export type SpendCapFields = Pick<
  CreditSettingsFields,
  'spendCapCents' | 'spendCapMode' | 'spendCapMaxCents'
>;

/** The spend cap's columns of a row read from credit_settings, as business values. */
export const spendCapFieldsOf = (r: Record<string, unknown>): SpendCapFields => ({
  spendCapCents: numOrNull(r.spend_cap_cents),
  spendCapMode: r.spend_cap_mode === 'notify' ? 'notify' : 'block',
  spendCapMaxCents: numOrNull(r.spend_cap_max_cents),
});

/** The customer's settings row in one plain read (no entity manager fork, no hydration), or null. */
export async function readCreditSettingsRow(
  em: EntityManager,
  customerId: string,
): Promise<CreditSettingsFields | null> {
  const [r] = await sqlFor(em).read<Record<string, unknown>>(
    `select auto_top_up_enabled, auto_top_up_threshold, auto_top_up_pack_id, auto_top_up_note, spend_cap_cents,
            spend_cap_mode, spend_cap_max_cents, alert_included_percent, alert_balance_below, alert_overage_cents
       from credit_settings where customer_id = ?`,
    [customerId],
  );
  if (!r) return null;
  return {
    autoTopUpEnabled: Boolean(r.auto_top_up_enabled),
    autoTopUpThreshold: numOrNull(r.auto_top_up_threshold),
    autoTopUpPackId: (r.auto_top_up_pack_id as string | null) ?? null,
    autoTopUpNote: (r.auto_top_up_note as string | null) ?? null,
    ...spendCapFieldsOf(r),
    alertIncludedPercent: numOrNull(r.alert_included_percent),
    alertBalanceBelow: numOrNull(r.alert_balance_below),
    alertOverageCents: numOrNull(r.alert_overage_cents),
  };
}

/**
 * Turns a customer's automatic top-up off with the note their dashboard shows, unless they changed their
 * choice since `choiceOf` (when the settings the declined crossing was named after last changed): a
 * customer who turned it on again with another card or pack meanwhile keeps it on. False when nothing was
 * turned off for that reason, or they have no settings. A repeat with the same note writes nothing.
 */
export async function turnAutoTopUpOff(
  em: EntityManager,
  customerId: string,
  note: string,
  choiceOf: Date | null,
): Promise<boolean> {
  const settings = await em.findOne(CreditSettings, { customerId });
  if (!settings) return false;
  if (choiceOf && settings.updatedAt.getTime() !== choiceOf.getTime()) return false;
  if (!settings.autoTopUpEnabled && settings.autoTopUpNote === note) return true;
  // Guarded by the choice's time too: one saved between this read and this write is left as saved.
  const written = await em.nativeUpdate(
    CreditSettings,
    { customerId, updatedAt: settings.updatedAt },
    { autoTopUpEnabled: false, autoTopUpNote: note },
  );
  return written > 0;
}
