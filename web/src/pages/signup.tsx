import { useState } from 'react';
import { api, type ApiError, call } from '../api/client';
import { ErrorNotice, Loaded, Page } from '../components';
import { money } from '../format';
import { type Cycle, cycleParam, isTrialPlan } from '../plan-terms';
import { Link, useLocation } from '../router';
import { CurrencySwitch, CycleSwitch, priceOf, useCatalog } from './plans';
import { SeatBands, seatTotalCents } from '../seat-price';

/** What the customer picked, kept while Checkout runs so a cancel can bring them back to it. */
export const CHOICE = 'billing.checkout-choice';
export interface Choice {
  plan: string;
  cycle: Cycle;
  trial: boolean;
}

export function savedChoice(): Choice | null {
  try {
    return JSON.parse(sessionStorage.getItem(CHOICE) ?? 'null') as Choice | null;
  } catch {
    return null;
  }
}

export function Signup() {
  const { query } = useLocation();
  const [currency, setCurrency] = useState(query.get('currency') ?? undefined);
  const catalog = useCatalog(currency);
  const [cycle, setCycle] = useState(cycleParam(query.get('cycle')));
  const [planId, setPlanId] = useState(query.get('plan') ?? 'professional');
  const [trial, setTrial] = useState(query.get('trial') === '1');
  const [code, setCode] = useState(query.get('code') ?? '');
  // null: the plan's own billing date; set once the customer ticks or unticks "on the 1st".
  const [onFirst, setOnFirst] = useState<boolean | null>(null);
  const [seatsAsked, setSeatsAsked] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  return (
    <Page title="Subscribe">
      <Loaded state={catalog} what="plans">
        {(data) => {
          const trialPlan = data.plans.find(isTrialPlan);
          const paid = data.plans.filter((p) => p !== trialPlan);
          // Choosing the trial itself means "the trial, then a plan": the plan defaults to the first paid one.
          const startsWithTrial = Boolean(trialPlan) && (trial || planId === trialPlan?.id);
          const plan =
            paid.find((p) => p.id === planId) ?? paid.find((p) => p.id === 'professional') ?? paid[0];
          if (!plan)
            return (
              <>
                <p>No plans are on sale right now.</p>
              </>
            );
          const price = priceOf(plan, cycle);
          // Calendar billing is for a plan taken directly; the trial tier restarts the cycle on day 7.
          const mayBillOnFirst = !startsWithTrial && plan.trial_without_card !== 'ask_for_card';
          const billsOnFirst = mayBillOnFirst && (onFirst ?? plan.billing_anchor === 'calendar');
          // A plan priced per seat: its price is per seat, bought for as many as the customer names.
          const seats = plan.seats && !startsWithTrial ? Number(seatsAsked ?? plan.seats.min) : null;
          const total = seats ? seatTotalCents(plan, cycle, price.cents, seats) : price.cents;

          const pay = async () => {
            setBusy(true);
            setError(null);
            try {
              sessionStorage.setItem(
                CHOICE,
                JSON.stringify({ plan: plan.id, cycle, trial: startsWithTrial }),
              );
              await call(api.POST('/api/v1/stripe/create_customer', { body: {} }));
              // What the customer saw is what they pay: the prices' currency goes with the choice.
              const promotion = {
                currency: plan.currency,
                ...(code.trim() ? { promotion_code: code.trim() } : {}),
              };
              const body =
                startsWithTrial && trialPlan
                  ? {
                      tier_id: trialPlan.id,
                      continuation: { tier_id: plan.id, billing_cycle: cycle },
                      ...promotion,
                    }
                  : {
                      tier_id: plan.id,
                      billing_cycle: cycle,
                      ...promotion,
                      ...(mayBillOnFirst
                        ? { billing_anchor: billsOnFirst ? ('calendar' as const) : ('anniversary' as const) }
                        : {}),
                      ...(seats ? { seats } : {}),
                    };
              const session = await call(api.POST('/api/v1/billing/checkout/create', { body }));
              location.assign(session.checkout_url);
            } catch (err) {
              setError(err as ApiError);
              setBusy(false);
            }
          };

          return (
            <>
              <form className="form" onSubmit={(e) => (e.preventDefault(), void pay())}>
                <label htmlFor="plan">Plan</label>
                <select id="plan" value={plan.id} onChange={(e) => setPlanId(e.target.value)}>
                  {paid.map((p) => (
                    <option key={p.id} value={p.id}>
                      {p.display_name} — {money(priceOf(p, cycle).cents, p.currency)} /{' '}
                      {priceOf(p, cycle).per}
                    </option>
                  ))}
                </select>
                <CycleSwitch cycle={cycle} onChange={setCycle} />
                <CurrencySwitch
                  shown={data.currency}
                  asked={currency}
                  offered={data.currencies}
                  onChange={setCurrency}
                />
                {trialPlan && (
                  <label className="check">
                    <input
                      type="checkbox"
                      checked={startsWithTrial}
                      onChange={(e) => {
                        setTrial(e.target.checked);
                        if (!e.target.checked && planId === trialPlan.id) setPlanId(plan.id);
                      }}
                    />
                    Start with the {money(trialPlan.price_monthly_cents, trialPlan.currency)} trial (
                    {trialPlan.trial_days} days, {trialPlan.daily_api_calls ?? 'unlimited'} API calls a day)
                  </label>
                )}
                {plan.seats && !startsWithTrial && (
                  <>
                    <label htmlFor="seats">
                      Seats ({money(price.cents, plan.currency)} / {price.per} each)
                    </label>
                    <input
                      id="seats"
                      type="number"
                      inputMode="numeric"
                      min={plan.seats.min}
                      max={plan.seats.max ?? undefined}
                      value={seatsAsked ?? String(plan.seats.min)}
                      onChange={(e) => setSeatsAsked(e.target.value)}
                    />
                    <SeatBands plan={plan} cycle={cycle} per={price.per} />
                  </>
                )}
                {mayBillOnFirst && (
                  <label className="check">
                    <input
                      type="checkbox"
                      checked={billsOnFirst}
                      onChange={(e) => setOnFirst(e.target.checked)}
                    />
                    Bill on the 1st of the month (the days until then are charged on their own)
                  </label>
                )}
                <label htmlFor="promotion-code">Promotion code (optional)</label>
                <input
                  id="promotion-code"
                  autoComplete="off"
                  maxLength={40}
                  pattern="[A-Za-z0-9][A-Za-z0-9_-]*"
                  value={code}
                  onChange={(e) => setCode(e.target.value)}
                />
                <div className="summary" aria-live="polite">
                  {startsWithTrial && trialPlan ? (
                    <p>
                      You pay <strong>{money(trialPlan.price_monthly_cents, trialPlan.currency)}</strong>{' '}
                      today for a {trialPlan.trial_days}-day trial. Then {plan.display_name} starts at{' '}
                      <strong>
                        {money(price.cents, plan.currency)} / {price.per}
                      </strong>{' '}
                      unless you cancel before.
                    </p>
                  ) : plan.trial_days > 0 ? (
                    <p data-testid="trial-summary">
                      Nothing to pay today: a {plan.trial_days}-day free trial of {plan.display_name}
                      {plan.trial_without_card ? ', no card needed' : ''}. Then{' '}
                      <strong>
                        {money(total, plan.currency)} / {price.per}
                      </strong>{' '}
                      {plan.trial_without_card
                        ? 'once you add a card.'
                        : 'on the card you give, unless you cancel before.'}
                      {billsOnFirst
                        ? ' On calendar billing the trial runs on to the first 1st after its days.'
                        : ''}
                    </p>
                  ) : billsOnFirst ? (
                    <p data-testid="calendar-summary">
                      You pay today for the days until the 1st (a share of{' '}
                      <strong>{money(total, plan.currency)}</strong>), then{' '}
                      <strong>
                        {money(total, plan.currency)} / {price.per}
                      </strong>{' '}
                      on the 1st until you cancel.
                    </p>
                  ) : (
                    <p>
                      You pay <strong>{money(total, plan.currency)}</strong> today for {plan.display_name}
                      {seats ? ` (${seats} seats)` : ''}, then every {price.per} until you cancel.
                    </p>
                  )}
                </div>
                {error && <ErrorNotice error={error} />}
                <button type="submit" disabled={busy}>
                  {busy
                    ? 'Opening Checkout…'
                    : plan.trial_without_card && plan.trial_days > 0 && !startsWithTrial
                      ? 'Start the free trial'
                      : 'Continue to payment'}
                </button>
                <p className="small">
                  Payment happens on Stripe&rsquo;s secure Checkout page.{' '}
                  <Link href="/plans">Back to plans</Link>
                </p>
              </form>
            </>
          );
        }}
      </Loaded>
    </Page>
  );
}
