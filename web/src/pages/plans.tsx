import { useState } from 'react';
import { api, call, type Plan } from '../api/client';
import { SeatBands } from '../seat-price';
import { useAuth } from '../auth';
import { Empty, Loaded, Page } from '../components';
import { useLoad } from '../data';
import { count, money, yearlySaving } from '../format';
import { type Cycle, cardlessTrialTerms, isTrialPlan } from '../plan-terms';
import { Link } from '../router';

/**
 * The catalog and the services' names, loaded together, priced in `currency` when one is chosen (else the
 * engine picks: the account's own, or the browser's language's). `currency` is what the prices are in;
 * `currencies` every one some plan is sold in.
 */
export function useCatalog(currency?: string) {
  return useLoad(
    async () => {
      const [plans, services] = await Promise.all([
        call(api.GET('/api/v1/subscriptions/plans', { params: { query: currency ? { currency } : {} } })),
        call(api.GET('/api/v1/subscriptions/services')),
      ]);
      const names = new Map(services.map((s) => [s.id, s.name]));
      const active = plans.filter((p) => p.status === 'active');
      return {
        plans: active,
        currency: active[0]?.currency ?? currency ?? 'usd',
        currencies: [...new Set(active.flatMap((p) => p.currencies))],
        serviceName: (id: string) => names.get(id) ?? id,
      };
    },
    `catalog:${currency ?? ''}`,
  );
}

/**
 * The currency prices are shown and paid in, when there is a choice. An account that already pays in one
 * gets that one whatever is asked: then the switch says so instead.
 */
export function CurrencySwitch({
  shown,
  asked,
  offered,
  onChange,
}: {
  shown: string;
  asked: string | undefined;
  offered: string[];
  onChange(c: string): void;
}) {
  if (asked && asked !== shown)
    return <p className="small">Your account pays in {shown.toUpperCase()}; prices are shown in it.</p>;
  if (offered.length < 2) return null;
  return (
    <p className="currency-switch">
      <label htmlFor="currency">Currency</label>{' '}
      <select id="currency" value={shown} onChange={(e) => onChange(e.target.value)}>
        {offered.map((c) => (
          <option key={c} value={c}>
            {c.toUpperCase()}
          </option>
        ))}
      </select>
    </p>
  );
}

export function priceOf(plan: Plan, cycle: Cycle): { cents: number; per: string } {
  if (cycle === 'yearly' && plan.price_yearly_cents !== null)
    return { cents: plan.price_yearly_cents, per: 'year' };
  return { cents: plan.price_monthly_cents, per: 'month' };
}

export function CycleSwitch({
  cycle,
  onChange,
  saving,
}: {
  cycle: Cycle;
  onChange(c: Cycle): void;
  saving?: number | null;
}) {
  return (
    <fieldset className="switch">
      <legend>Billing cycle</legend>
      {(['monthly', 'yearly'] as const).map((c) => (
        <label key={c}>
          <input type="radio" name="cycle" value={c} checked={cycle === c} onChange={() => onChange(c)} />
          {c === 'monthly' ? 'Monthly' : 'Yearly'}
          {c === 'yearly' && saving ? <span className="badge good">save up to {saving}%</span> : null}
        </label>
      ))}
    </fieldset>
  );
}

function PlanCard({
  plan,
  cycle,
  current,
  chosen,
  serviceName,
  signedIn,
  hasPlan,
}: {
  plan: Plan;
  cycle: Cycle;
  current: boolean;
  chosen: boolean;
  serviceName(id: string): string;
  signedIn: boolean;
  hasPlan: boolean;
}) {
  const trial = isTrialPlan(plan);
  const cardless = cardlessTrialTerms(plan);
  const price = trial
    ? { cents: plan.price_monthly_cents, per: `${plan.trial_days} days` }
    : priceOf(plan, cycle);
  const saving = yearlySaving(plan.price_monthly_cents, plan.price_yearly_cents);
  const headingId = `plan-${plan.id}`;
  const next = `/signup?plan=${plan.id}&cycle=${cycle}&currency=${plan.currency}`;
  return (
    <article
      className={`plan${current ? ' current' : ''}${chosen ? ' chosen' : ''}`}
      aria-labelledby={headingId}
    >
      <h2 id={headingId}>
        {plan.display_name}
        {current && <span className="badge good">Your plan</span>}
        {chosen && !current && <span className="badge">Your choice</span>}
      </h2>
      {plan.description && <p className="muted">{plan.description}</p>}
      <p className="price">
        <strong>{money(price.cents, plan.currency)}</strong> / {price.per}
        {plan.seats && !trial ? ' per seat' : ''}
      </p>
      {!trial && <SeatBands plan={plan} cycle={cycle} per={price.per} />}
      {trial && <p className="small">Charged once; then continue on the plan you pick, or access ends.</p>}
      {cardless && (
        <p className="small" data-testid={`cardless-${plan.id}`}>
          {cardless}
        </p>
      )}
      {!trial && cycle === 'yearly' && saving !== null && (
        <p className="small saving">
          Save {saving}% against {money(plan.price_monthly_cents * 12, plan.currency)} paid monthly
        </p>
      )}
      {!trial && cycle === 'yearly' && plan.price_yearly_cents === null && (
        <p className="small">Billed monthly only.</p>
      )}
      <ul className="features">
        {plan.features.map((f) => (
          <li key={f}>{f}</li>
        ))}
      </ul>
      <dl className="facts">
        <dt>Included usage</dt>
        <dd>{plan.included_credits ? `${count(plan.included_credits)} credits a period` : 'None'}</dd>
        <dt>Daily API calls</dt>
        <dd>{plan.daily_api_calls === null ? 'No daily cap' : count(plan.daily_api_calls)}</dd>
        <dt>Overage</dt>
        <dd>
          {plan.overage_price_per_1k_cents
            ? `${money(plan.overage_price_per_1k_cents, plan.currency)} per 1,000`
            : 'None'}
        </dd>
        <dt>Services</dt>
        <dd>{plan.services.map(serviceName).join(', ')}</dd>
      </dl>
      {current ? (
        <p className="small">
          <Link href="/billing">Manage your plan</Link>
        </p>
      ) : signedIn && hasPlan ? (
        <Link className="button secondary" href={`/billing/change-plan?plan=${plan.id}&cycle=${cycle}`}>
          Switch to {plan.display_name}
        </Link>
      ) : (
        <Link className="button" href={next} aria-describedby={headingId}>
          {trial
            ? `Start the ${money(plan.price_monthly_cents, plan.currency)} trial`
            : cardless
              ? `Start the free trial of ${plan.display_name}`
              : `Choose ${plan.display_name}`}
        </Link>
      )}
    </article>
  );
}

/** The catalog as cards; used by the Plans page and by the page Checkout's cancel leads back to. */
export function PlanGrid({ chosen, initialCycle }: { chosen?: string; initialCycle?: Cycle }) {
  const { session } = useAuth();
  const [cycle, setCycle] = useState<Cycle>(initialCycle ?? 'monthly');
  const [currency, setCurrency] = useState<string | undefined>(undefined);
  const catalog = useCatalog(currency);
  const sub = useLoad(
    () => (session ? call(api.GET('/api/v1/billing/subscription')) : Promise.resolve(null)),
    session?.email ?? '',
  );
  const live = sub.data && ['trialing', 'active', 'past_due', 'paused'].includes(sub.data.status);
  return (
    <Loaded state={catalog} what="plans">
      {({ plans, serviceName, currency: shown, currencies }) => {
        if (plans.length === 0) return <Empty>No plans are on sale right now.</Empty>;
        const best = Math.max(
          0,
          ...plans.map((p) => yearlySaving(p.price_monthly_cents, p.price_yearly_cents) ?? 0),
        );
        return (
          <>
            <CycleSwitch cycle={cycle} onChange={setCycle} saving={best || null} />
            <CurrencySwitch shown={shown} asked={currency} offered={currencies} onChange={setCurrency} />
            <div className="plans">
              {plans.map((p) => (
                <PlanCard
                  key={p.id}
                  plan={p}
                  cycle={cycle}
                  current={Boolean(live && sub.data?.tier === p.id)}
                  chosen={chosen === p.id}
                  serviceName={serviceName}
                  signedIn={Boolean(session)}
                  hasPlan={Boolean(live)}
                />
              ))}
            </div>
          </>
        );
      }}
    </Loaded>
  );
}

export function Plans() {
  return (
    <Page title="Plans" wide>
      <p className="lead">Pick a plan. Try everything for a week, then continue on the plan you like.</p>
      <PlanGrid />
    </Page>
  );
}
