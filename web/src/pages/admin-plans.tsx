import { useState, type FormEvent } from 'react';
import { api, call, type Plan } from '../api/client';
import { ErrorNotice, Loaded, Notice, Page, Table } from '../components';
import { useAction, useLoad } from '../data';
import { count, money } from '../format';
import {
  CheckField,
  CodeField,
  NumberField,
  SelectField,
  Submit,
  TextField,
  useForm,
  type Bound,
} from '../form-kit';
import { PlanCurrencies } from './admin-plan-currencies';
import { PlanRateCard } from './admin-plan-rate-card';
import { MigrationRun } from './admin-plan-migration';

type Migration = {
  plan_id: string;
  to_version: number;
  subscriptions: {
    subscription_id: string;
    email: string;
    from_version: number;
    interval: string;
    amount_cents: number;
    new_amount_cents: number | null;
    entitlement_changes: { feature: string; change: string }[];
  }[];
  entitlement_summary: { feature: string; change: string; subscribers: number }[];
};

/** Whether Stripe can bill the version: both cycles alike, or each named when they differ. */
function syncState({ monthly, yearly }: { monthly: boolean; yearly: boolean | null }): string {
  if (yearly === null || yearly === monthly) return monthly ? 'synced' : 'not synced';
  return `monthly ${monthly ? 'synced' : 'not synced'}, yearly ${yearly ? 'synced' : 'not synced'}`;
}

/**
 * The prepaid-only switch of a plan form, with what it means: usage no credit pays for is refused
 * (`credits_exhausted`), not billed; the API refuses it beside an overage price or rate card.
 */
function PrepaidOnlyField({ id, bind }: { id: string; bind: Bound<boolean> }) {
  return (
    <>
      <CheckField label="Prepaid only" bind={bind} aria-describedby={`${id}-hint`} />
      <p className="small muted check-hint" id={`${id}-hint`}>
        Usage no credit pays for is refused, never billed as overage.
      </p>
    </>
  );
}

type TrialCard = '' | 'free' | 'ask_for_card';

/** A plan's trial as the table shows it: its days and what it asks of the card. */
function trialTerms(v: { trial_days: number; trial_without_card: 'free' | 'ask_for_card' | null }): string {
  if (v.trial_days <= 0) return 'none';
  if (!v.trial_without_card) return `${v.trial_days} days, card first`;
  return `${v.trial_days} days, no card (${v.trial_without_card === 'free' ? 'then free tier' : 'then asks for a card'})`;
}

/** Trial days and whether the trial starts without a card, with what its end does then. */
function TrialFields({ days, card }: { days: Bound<string>; card: Bound<TrialCard> }) {
  return (
    <>
      <NumberField label="Trial days" bind={days} />
      <SelectField label="Card for the trial" bind={card}>
        <option value="">Card at checkout</option>
        <option value="free">No card; without one at the end, the free tier</option>
        <option value="ask_for_card">No card; without one at the end, paused until a card is added</option>
      </SelectField>
    </>
  );
}

type Anchor = 'anniversary' | 'calendar';

/** When the plan's subscribers renew unless they choose otherwise at checkout. */
function AnchorField({ bind }: { bind: Bound<Anchor> }) {
  return (
    <SelectField label="Billing date" bind={bind}>
      <option value="anniversary">The day each subscription started</option>
      <option value="calendar">The 1st of the month (first period prorated)</option>
    </SelectField>
  );
}

type TierMode = 'graduated' | 'volume';

/**
 * Seat discounts as typed: `11:20, 21:40` is 20% off from the 11th seat and 40% off from the 21st. What
 * does not read as two numbers goes to the engine as it is, which names the band at fault.
 */
function bandsOf(text: string) {
  return text
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean)
    .map((b) => {
      const [from, off] = b.split(':');
      return { from_seat: Number(from), percent_off: Number(off) };
    });
}

/** Seat terms from the form: a minimum makes the plan priced per seat; an empty one, per unit. */
function seatsOf(f: {
  seats_min: string;
  seats_max: string;
  seats_tiers: string;
  seats_tier_mode: TierMode;
  seats_credits: string;
}) {
  if (!f.seats_min) return null;
  const bands = bandsOf(f.seats_tiers);
  return {
    min: Number(f.seats_min),
    max: f.seats_max ? Number(f.seats_max) : null,
    tiers: bands.length > 0 ? { mode: f.seats_tier_mode, bands } : null,
    credits_per_seat: f.seats_credits ? Number(f.seats_credits) : 0,
  };
}

/** The form's text for a plan's seat discounts. */
function tiersText(seats: Plan['seats']): string {
  return seats?.tiers?.bands.map((b) => `${b.from_seat}:${b.percent_off}`).join(', ') ?? '';
}

/** A plan priced per seat from a minimum to a maximum of seats, with volume discounts. */
function SeatFields({
  min,
  max,
  tiers,
  mode,
  credits,
}: {
  min: Bound<string>;
  max: Bound<string>;
  tiers: Bound<string>;
  mode: Bound<TierMode>;
  credits: Bound<string>;
}) {
  return (
    <>
      <NumberField label="Seats from (empty: not priced per seat)" bind={min} />
      <NumberField label="Seats up to (empty: no maximum)" bind={max} />
      <TextField label="Seat discounts (from seat : % off, e.g. 11:20, 21:40)" bind={tiers} maxLength={200} />
      <SelectField label="Seat discounts apply" bind={mode}>
        <option value="graduated">Graduated: each seat at its band's price</option>
        <option value="volume">Volume: every seat at the band the count reaches</option>
      </SelectField>
      <NumberField label="Credits per seat a month (drawn before the account's)" bind={credits} />
    </>
  );
}

/** The plan catalog as an operator runs it: every version with its subscribers and Stripe sync state. */
export function AdminPlans() {
  const versions = useLoad(() => call(api.GET('/api/v1/admin/plans')), 'admin-plans');
  const [editing, setEditing] = useState<string | null>(null);
  const [form, setForm, field] = useForm({
    display_name: '',
    price_monthly_cents: '',
    included_credits: '',
    overage_price_per_1k_cents: '',
    prepaid_only: false,
    trial_days: '',
    trial_without_card: '' as TrialCard,
    billing_anchor: 'anniversary' as Anchor,
    seats_min: '',
    seats_max: '',
    seats_tiers: '',
    seats_tier_mode: 'graduated' as TierMode,
    seats_credits: '',
  });
  const [migration, setMigration] = useState<Migration | null>(null);
  const [runningMigration, setRunningMigration] = useState<string | null>(null);
  const [archiving, setArchiving] = useState<string | null>(null);
  const blank = {
    id: '',
    display_name: '',
    price_monthly_cents: '',
    prepaid_only: false,
    trial_days: '',
    trial_without_card: '' as TrialCard,
    billing_anchor: 'anniversary' as Anchor,
    seats_min: '',
    seats_max: '',
    seats_tiers: '',
    seats_tier_mode: 'graduated' as TierMode,
    seats_credits: '',
  };
  const [creating, setCreating, creatingField] = useForm(blank);

  const { busy, error, done, run } = useAction(versions.reload);
  /** Rehearses, or makes, the migration of a plan's older versions at their period end, and follows it. */
  const startRun = (planId: string, rehearse: boolean) =>
    void run(async () => {
      const r = await call(
        api.POST('/api/v1/subscriptions/plans/{plan_id}/migrate', {
          params: { path: { plan_id: planId } },
          body: { when: 'period_end', rehearse },
        }),
      );
      setMigration(null);
      setRunningMigration(r.migration_id);
      return rehearse
        ? `Rehearsal started: ${count(r.progress.candidates)} subscriber(s), nothing changed.`
        : `Migration started: ${count(r.progress.candidates)} subscriber(s) to move at their period end.`;
    });
  const save = (e: FormEvent) => {
    e.preventDefault();
    const code = editing as string;
    void run(async () => {
      const answer = await call(
        api.PUT('/api/v1/subscriptions/plans/{plan_id}', {
          params: { path: { plan_id: code } },
          body: {
            ...(form.display_name ? { display_name: form.display_name } : {}),
            ...(form.price_monthly_cents ? { price_monthly_cents: Number(form.price_monthly_cents) } : {}),
            ...(form.included_credits ? { included_credits: Number(form.included_credits) } : {}),
            ...(form.overage_price_per_1k_cents
              ? { overage_price_per_1k_cents: Number(form.overage_price_per_1k_cents) }
              : {}),
            prepaid_only: form.prepaid_only,
            ...(form.trial_days ? { trial_days: Number(form.trial_days) } : {}),
            trial_without_card: form.trial_without_card || null,
            billing_anchor: form.billing_anchor,
            seats: seatsOf(form),
          },
        }),
      );
      setEditing(null);
      return answer.grandfathered_subscribers > 0
        ? `${code} is now version ${answer.version}; ${answer.grandfathered_subscribers} subscribers keep their version until migrated.`
        : `${code} updated.`;
    });
  };

  return (
    <Page title="Plans" wide>
      <Loaded state={versions} what="the plans">
        {(data) => (
          <>
            {done && <Notice kind="success">{done}</Notice>}
            {error && <ErrorNotice error={error} />}
            <Table
              label="Plan versions"
              columns={[
                'Plan',
                'Version',
                'Status',
                { label: 'Monthly', num: true },
                'Currencies',
                { label: 'Credits', num: true },
                'Prepaid only',
                'Trial',
                'Renews',
                'Seats',
                { label: 'Subscribers', num: true },
                'In Stripe',
                'Actions',
              ]}
            >
              {data.map((v) => (
                <tr key={v.plan_version_id} data-testid={`plan-${v.id}-v${v.version}`}>
                  <th scope="row">
                    {v.display_name} <code>{v.id}</code>
                  </th>
                  <td>
                    {v.version}
                    {v.is_current ? ' (current)' : ''}
                  </td>
                  <td>{v.status}</td>
                  <td className="num">{money(v.price_monthly_cents, v.currency)}</td>
                  <td>{v.currencies.map((c) => c.toUpperCase()).join(', ')}</td>
                  <td className="num">{count(v.included_credits)}</td>
                  <td>{v.prepaid_only ? 'yes' : 'no'}</td>
                  <td>{trialTerms(v)}</td>
                  <td>{v.billing_anchor === 'calendar' ? 'on the 1st' : 'on the start day'}</td>
                  <td>
                    {v.seats ? `${v.seats.min} to ${v.seats.max ?? 'any'}` : 'per unit'}
                    {v.seats?.tiers ? ` (${v.seats.tiers.mode}: ${tiersText(v.seats)})` : ''}
                  </td>
                  <td className="num">{count(v.live_subscriptions)}</td>
                  <td>{syncState(v.stripe_sync)}</td>
                  <td className="row-actions">
                    {v.is_current && v.status === 'active' && (
                      <>
                        <button
                          type="button"
                          className="secondary"
                          onClick={() => {
                            setEditing(v.id);
                            setForm({
                              display_name: v.display_name,
                              price_monthly_cents: String(v.price_monthly_cents),
                              included_credits: String(v.included_credits),
                              overage_price_per_1k_cents: String(v.overage_price_per_1k_cents),
                              prepaid_only: v.prepaid_only,
                              trial_days: String(v.trial_days),
                              trial_without_card: v.trial_without_card ?? '',
                              billing_anchor: v.billing_anchor,
                              seats_min: v.seats ? String(v.seats.min) : '',
                              seats_max: v.seats?.max ? String(v.seats.max) : '',
                              seats_tiers: tiersText(v.seats),
                              seats_tier_mode: v.seats?.tiers?.mode ?? 'graduated',
                              seats_credits: v.seats?.credits_per_seat
                                ? String(v.seats.credits_per_seat)
                                : '',
                            });
                          }}
                        >
                          Edit {v.id}
                        </button>
                        <button
                          type="button"
                          className="secondary"
                          disabled={busy}
                          onClick={() =>
                            void run(async () => {
                              setMigration(
                                await call(
                                  api.GET('/api/v1/admin/plans/{plan_id}/migration-preview', {
                                    params: { path: { plan_id: v.id } },
                                  }),
                                ),
                              );
                              return `Who a migration of ${v.id} would move is listed below.`;
                            })
                          }
                        >
                          Preview migration of {v.id}
                        </button>
                        <button type="button" className="secondary" onClick={() => setArchiving(v.id)}>
                          Archive {v.id}
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </Table>

            {archiving && (
              <div className="notice warning" role="alertdialog" aria-labelledby="archive-heading">
                <h2 id="archive-heading">Archive {archiving}?</h2>
                <p>New customers can no longer choose it; its subscribers keep it.</p>
                <button
                  type="button"
                  className="danger"
                  disabled={busy}
                  onClick={() =>
                    void run(async () => {
                      await call(
                        api.DELETE('/api/v1/subscriptions/plans/{plan_id}', {
                          params: { path: { plan_id: archiving } },
                        }),
                      );
                      setArchiving(null);
                      return `${archiving} is archived.`;
                    })
                  }
                >
                  Archive
                </button>{' '}
                <button type="button" className="secondary" onClick={() => setArchiving(null)}>
                  Back
                </button>
              </div>
            )}

            <form
              className="card form"
              aria-labelledby="new-heading"
              onSubmit={(e) => {
                e.preventDefault();
                void run(async () => {
                  const plan = await call(
                    api.POST('/api/v1/subscriptions/plans', {
                      body: {
                        id: creating.id,
                        display_name: creating.display_name,
                        price_monthly_cents: Number(creating.price_monthly_cents),
                        prepaid_only: creating.prepaid_only,
                        ...(creating.trial_days ? { trial_days: Number(creating.trial_days) } : {}),
                        trial_without_card: creating.trial_without_card || null,
                        billing_anchor: creating.billing_anchor,
                        seats: seatsOf(creating),
                      },
                    }),
                  );
                  setCreating(blank);
                  return `${plan.id} is created${plan.prepaid_only ? ', prepaid only' : ''}; the catalog sync gives it its Stripe prices.`;
                });
              }}
            >
              <h2 id="new-heading">New plan</h2>
              <CodeField label="Code" bind={creatingField('id')} maxLength={64} />
              <TextField label="Name" bind={creatingField('display_name')} required maxLength={200} />
              <NumberField
                label="Monthly price (cents)"
                bind={creatingField('price_monthly_cents')}
                required
              />
              <PrepaidOnlyField id="new-prepaid-only" bind={creatingField('prepaid_only')} />
              <TrialFields days={creatingField('trial_days')} card={creatingField('trial_without_card')} />
              <AnchorField bind={creatingField('billing_anchor')} />
              <SeatFields
                min={creatingField('seats_min')}
                max={creatingField('seats_max')}
                tiers={creatingField('seats_tiers')}
                mode={creatingField('seats_tier_mode')}
                credits={creatingField('seats_credits')}
              />
              <Submit disabled={busy}>Create plan</Submit>
            </form>

            {editing && (
              <form className="card form" onSubmit={save} aria-labelledby="edit-heading">
                <h2 id="edit-heading">Edit {editing}</h2>
                <p className="muted">
                  Changing the price, credits or prepaid-only of a plan with subscribers makes a new version;
                  they keep theirs until migrated.
                </p>
                <TextField label="Display name" bind={field('display_name')} maxLength={200} />
                <NumberField label="Monthly price (cents)" bind={field('price_monthly_cents')} />
                <NumberField label="Included credits" bind={field('included_credits')} />
                <NumberField
                  label="Overage price per 1,000 credits (cents)"
                  bind={field('overage_price_per_1k_cents')}
                />
                <PrepaidOnlyField id="edit-prepaid-only" bind={field('prepaid_only')} />
                <TrialFields days={field('trial_days')} card={field('trial_without_card')} />
                <AnchorField bind={field('billing_anchor')} />
                <SeatFields
                  min={field('seats_min')}
                  max={field('seats_max')}
                  tiers={field('seats_tiers')}
                  mode={field('seats_tier_mode')}
                  credits={field('seats_credits')}
                />
                <Submit disabled={busy}>Save {editing}</Submit>{' '}
                <button type="button" className="secondary" onClick={() => setEditing(null)}>
                  Back
                </button>
              </form>
            )}
            {editing &&
              data
                .filter((v) => v.id === editing && v.is_current)
                .map((v) => (
                  <div key={v.plan_version_id}>
                    <PlanRateCard plan={v} onSaved={versions.reload} />
                    <PlanCurrencies plan={v} onSaved={versions.reload} />
                  </div>
                ))}

            {runningMigration && (
              <MigrationRun
                key={runningMigration}
                migrationId={runningMigration}
                onFinished={versions.reload}
              />
            )}

            {migration && (
              <section className="card" aria-labelledby="migration-heading">
                <h2 id="migration-heading">
                  Migrating {migration.plan_id} to version {migration.to_version}
                </h2>
                {migration.subscriptions.length === 0 ? (
                  <p>Nobody is on an older version.</p>
                ) : (
                  <>
                    <div
                      className="table-wrap"
                      tabIndex={0}
                      role="region"
                      aria-label="Subscriptions that would move"
                    >
                      <table>
                        <thead>
                          <tr>
                            <th scope="col">Customer</th>
                            <th scope="col">From version</th>
                            <th scope="col" className="num">
                              Price now
                            </th>
                            <th scope="col" className="num">
                              Price after
                            </th>
                            <th scope="col">Gains and losses</th>
                          </tr>
                        </thead>
                        <tbody>
                          {migration.subscriptions.map((s) => (
                            <tr key={s.subscription_id}>
                              <th scope="row">{s.email}</th>
                              <td>{s.from_version}</td>
                              <td className="num">
                                {money(s.amount_cents, 'usd')} / {s.interval}
                              </td>
                              <td className="num">
                                {s.new_amount_cents == null
                                  ? '—'
                                  : `${money(s.new_amount_cents, 'usd')} / ${s.interval}`}
                              </td>
                              <td>
                                {s.entitlement_changes.length === 0
                                  ? 'Nothing'
                                  : s.entitlement_changes.map((c) => `${c.feature} ${c.change}`).join(', ')}
                              </td>
                            </tr>
                          ))}
                        </tbody>
                      </table>
                    </div>
                    {migration.entitlement_summary.length > 0 && (
                      <ul aria-label="What the migration changes">
                        {migration.entitlement_summary.map((c) => (
                          <li key={`${c.feature}-${c.change}`}>
                            <code>{c.feature}</code> {c.change} for {count(c.subscribers)} subscriber(s)
                          </li>
                        ))}
                      </ul>
                    )}
                    <button type="button" disabled={busy} onClick={() => startRun(migration.plan_id, true)}>
                      Rehearse {count(migration.subscriptions.length)} at their period end
                    </button>{' '}
                    <button type="button" disabled={busy} onClick={() => startRun(migration.plan_id, false)}>
                      Migrate {count(migration.subscriptions.length)} at their period end
                    </button>
                  </>
                )}
              </section>
            )}
          </>
        )}
      </Loaded>
    </Page>
  );
}
