import { useState } from 'react';
import {
  api,
  type ApiError,
  call,
  type Invoice,
  type Plan,
  type PeriodSummary,
  type Subscription,
  type Usage,
} from '../api/client';
import { DailyUsageChart, type DailySeries } from '../chart';
import { Card, Empty, ErrorNotice, Loaded, Loading, Notice, Page, Table } from '../components';
import { useLoad } from '../data';
import { count, date, dateTime, daysUntil, money } from '../format';
import { isTrialPlan } from '../plan-terms';
import { Link } from '../router';
import { SeatsEditor } from '../seats';
import { statusOf } from '../status';

const DAY_S = 86_400;

async function loadDashboard() {
  const [sub, usage, period, access, invoices, plans, cards] = await Promise.all([
    call(api.GET('/api/v1/billing/subscription')),
    call(api.GET('/api/v1/billing/usage')),
    call(api.GET('/api/v1/billing/period_summary')),
    call(api.GET('/api/v1/subscriptions/my-access')),
    call(api.GET('/api/v1/billing/invoices', { params: { query: { limit: 10 } } })),
    call(api.GET('/api/v1/subscriptions/plans')),
    call(api.GET('/api/v1/billing/payment-methods')),
  ]);
  return { sub, usage, period, access, invoices, plans, cards };
}

/** The engine's days of the period as the chart draws them; a short period still spans a week. */
function dailySeries(daily: PeriodSummary['daily_usage']): DailySeries {
  const rows = daily.map((d) => ({ at: Date.parse(d.day) / 1000, units: d.units }));
  const first = rows[0]?.at ?? Math.floor(Date.now() / 1000 / DAY_S) * DAY_S;
  while (rows.length < 7) rows.push({ at: first + rows.length * DAY_S, units: null });
  const types = [...new Set(daily.flatMap((d) => Object.keys(d.units ?? {})))];
  // A type keeps its colour from one load to the next.
  types.sort((a, b) => a.localeCompare(b));
  return {
    days: rows.map((r) => r.at),
    byType: types.map((type) => ({ type, counts: rows.map((r) => (r.units ? (r.units[type] ?? 0) : null)) })),
  };
}

function DunningBanner({ sub, invoices }: { sub: Subscription; invoices: Invoice[] }) {
  if (sub.status !== 'past_due' && sub.status !== 'suspended') return null;
  const open = invoices.find((i) => i.status === 'open' && i.hosted_invoice_url);
  return (
    <div className="notice error" role="alert">
      <p>
        <strong>{sub.status === 'suspended' ? 'Access is suspended.' : 'Your last payment failed.'}</strong>{' '}
        {open
          ? `Invoice ${open.number ?? open.id} for ${money(open.amount_due_cents, open.currency)} is unpaid.`
          : 'An invoice is unpaid.'}{' '}
        Pay it now, or update your card, to keep your plan.
      </p>
      <p>
        {open?.hosted_invoice_url && (
          <a className="button" href={open.hosted_invoice_url}>
            Pay the invoice
          </a>
        )}{' '}
        <Link href="/billing/payment-methods">Update payment method</Link>
      </p>
    </div>
  );
}

/**
 * A trial begun without a card: while it runs, a card keeps the plan past its end; once it ended paused for
 * want of one, adding a card resumes the plan (and charges its first period).
 */
function CardNeeded({
  sub,
  plan,
  hasCard,
  awaitingCard,
}: {
  sub: Subscription;
  plan: Plan | undefined;
  hasCard: boolean;
  awaitingCard: boolean;
}) {
  const name = plan?.display_name ?? sub.tier;
  const price = `${money(sub.amount_cents, sub.currency)} / ${sub.interval}`;
  if (awaitingCard)
    return (
      <Notice kind="warning">
        <p data-testid="card-needed">
          <strong>Your free trial has ended.</strong> Add a card to continue {name} at {price}: the card is
          charged for the first period as soon as it is added.
        </p>
        <Link className="button" href="/billing/payment-methods">
          Add a card
        </Link>
      </Notice>
    );
  if (sub.status !== 'trialing' || !plan?.trial_without_card || hasCard) return null;
  return (
    <Notice kind="info">
      <p data-testid="card-needed">
        Your trial started without a card. Add one before {date(sub.trial_end)} to keep {name} at {price};{' '}
        {plan.trial_without_card === 'free'
          ? 'without one you move to the free tier then.'
          : 'without one your plan pauses then until you add it.'}
      </p>
      <Link className="button secondary" href="/billing/payment-methods">
        Add a card
      </Link>
    </Notice>
  );
}

function PlanSummary({
  sub,
  plan,
  hasCard,
  onChanged,
}: {
  sub: Subscription;
  plan: Plan | undefined;
  hasCard: boolean;
  onChanged(): void;
}) {
  const awaitingCard = 'awaiting_card' in sub && sub.awaiting_card;
  const s = statusOf(sub.status);
  // The status's own words speak of the $1 trial tier and of pauses the customer chose.
  const text = awaitingCard
    ? 'Your trial ended without a card: access is off and nothing is billed until you add one.'
    : sub.status === 'trialing' && !isTrialPlan(plan)
      ? 'Your trial is running: nothing is billed until it ends.'
      : s.text;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const act = async (request: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await request();
      onChanged();
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const resume = () => act(() => call(api.POST('/api/v1/billing/subscription/resume', { body: {} })));
  const unpause = () => act(() => call(api.POST('/api/v1/billing/subscription/unpause', { body: {} })));
  const keepPlan = () =>
    act(() => call(api.POST('/api/v1/billing/subscription/pending-change/cancel', { body: {} })));
  const ends = sub.cancel_at_period_end && sub.current_period_end;
  return (
    <Card id="plan" title="Your plan">
      <p className="plan-name">
        <strong>{plan?.display_name ?? sub.tier}</strong>{' '}
        <span className={`badge ${s.tone}`} data-testid="status">
          {s.label}
        </span>
      </p>
      <p className="muted">{text}</p>
      <dl className="facts">
        <dt>Price</dt>
        <dd>
          {isTrialPlan(plan)
            ? `${money(sub.amount_cents, sub.currency)}, charged once for the trial`
            : `${money(sub.amount_cents, sub.currency)} / ${sub.interval}`}
        </dd>
        <dt>Current period</dt>
        <dd>
          {date(sub.current_period_start)} – {date(sub.current_period_end)}
        </dd>
        {plan?.seats && 'seats' in sub && (
          <>
            <dt>Seats</dt>
            <dd data-testid="seats">
              {plan.seats.tiers
                ? `${sub.seats} seats, ${money(Math.round(sub.amount_cents / sub.seats), sub.currency ?? 'usd')} a seat on average with seat discounts`
                : `${sub.seats} × ${money(sub.amount_cents / sub.seats, sub.currency ?? 'usd')}`}
            </dd>
          </>
        )}
        <dt>Billing date</dt>
        <dd data-testid="billing-anchor">
          {'billing_anchor' in sub && sub.billing_anchor === 'calendar'
            ? 'The 1st of the month'
            : 'The day your subscription started'}
        </dd>
        {sub.status === 'trialing' && sub.trial_end && (
          <>
            <dt>Trial</dt>
            <dd>
              {daysUntil(sub.trial_end)} days left (ends {date(sub.trial_end)})
            </dd>
          </>
        )}
      </dl>
      {ends && (
        <Notice kind="warning">
          <p data-testid="cancel-notice">
            Your plan ends on <strong>{date(sub.current_period_end)}</strong>. You keep everything until then.
          </p>
          <button type="button" onClick={() => void resume()} disabled={busy}>
            {busy ? 'Resuming…' : 'Resume my plan'}
          </button>
        </Notice>
      )}
      {plan?.seats && 'seats' in sub && sub.status !== 'incomplete' && (
        <SeatsEditor
          seats={sub.seats}
          range={plan.seats}
          currency={sub.currency ?? 'usd'}
          onChanged={onChanged}
        />
      )}
      <CardNeeded sub={sub} plan={plan} hasCard={hasCard} awaitingCard={awaitingCard} />
      {sub.status === 'paused' && !awaitingCard && (
        <Notice kind="info">
          <p data-testid="paused-notice">Your plan is paused. Unpause it to be billed and use it again.</p>
          <button type="button" onClick={() => void unpause()} disabled={busy}>
            {busy ? 'Unpausing…' : 'Unpause my plan'}
          </button>
        </Notice>
      )}
      {sub.pending_change && (
        <Notice kind="info">
          <p>
            Changes to <strong>{sub.pending_change.tier}</strong> (
            {money(sub.pending_change.amount_cents, sub.currency)} / {sub.pending_change.interval}) on{' '}
            {date(sub.pending_change.effective_at)}.
          </p>
          <button type="button" className="secondary" onClick={() => void keepPlan()} disabled={busy}>
            {busy ? 'Withdrawing…' : `Keep ${plan?.display_name ?? sub.tier} instead`}
          </button>
        </Notice>
      )}
      {error && <ErrorNotice error={error} />}
      <p className="actions">
        <Link className="button secondary" href="/billing/change-plan">
          Change plan
        </Link>
        {!ends && ['active', 'trialing', 'past_due'].includes(sub.status) && (
          <Link className="button secondary" href="/billing/cancel">
            Cancel plan
          </Link>
        )}
      </p>
    </Card>
  );
}

function NextInvoice({ estimate }: { estimate: PeriodSummary['next_invoice'] }) {
  if (!estimate) return null;
  const { currency, coupon } = estimate;
  return (
    <Card id="next" title="Next invoice (estimate)">
      <p className="big">{money(estimate.total_cents, currency)}</p>
      <p className="muted">
        On {date(estimate.date)}: {money(estimate.plan_cents, currency)} plan
        {estimate.usage_cents > 0 ? ` + ${money(estimate.usage_cents, currency)} usage so far` : ''}
        {estimate.discount_cents > 0 && coupon
          ? ` − ${money(estimate.discount_cents, currency)} coupon ${coupon.name ?? coupon.id}`
          : ''}
        .
      </p>
    </Card>
  );
}

function UsageMeter({
  usage,
  dailyLimit,
  currency,
}: {
  usage: Usage;
  dailyLimit: number | null;
  currency: string;
}) {
  const c = usage.credits;
  const today = Object.values(usage.usage.today).reduce((a, b) => a + b, 0);
  return (
    <Card id="usage" title="Usage this period">
      {c.included_credits === 0 && c.used === 0 ? (
        <p className="muted">Your plan includes no usage credits.</p>
      ) : (
        <>
          <label htmlFor="credits-meter" className="meter-label">
            <span data-testid="credits-used">
              {count(c.used)} of {count(c.included_credits)} included credits used
            </span>
          </label>
          <meter
            id="credits-meter"
            min={0}
            max={Math.max(c.included_credits, c.used, 1)}
            value={c.used}
            high={c.included_credits * 0.8 || undefined}
          >
            {count(c.used)} of {count(c.included_credits)}
          </meter>
          {c.overage > 0 ? (
            <p className="warn-text">
              {count(c.overage)} over the included credits: {money(c.overage_cost_cents, currency)} at{' '}
              {money(c.price_per_1k_cents, currency)} per 1,000.
            </p>
          ) : (
            <p className="muted">{count(c.remaining)} credits left this period.</p>
          )}
        </>
      )}
      <label htmlFor="today-meter" className="meter-label">
        Today: {count(today)} API calls
        {dailyLimit !== null ? ` of ${count(dailyLimit)} a day` : ' (no daily cap)'}
      </label>
      {dailyLimit !== null && (
        <meter
          id="today-meter"
          min={0}
          max={Math.max(dailyLimit, 1)}
          value={Math.min(today, dailyLimit)}
          high={dailyLimit * 0.8}
        >
          {count(today)} of {count(dailyLimit)}
        </meter>
      )}
      {Object.values(usage.usage.month).some((n) => n > 0) && (
        <table className="compact">
          <caption>By type this period</caption>
          <thead>
            <tr>
              <th scope="col">Type</th>
              <th scope="col">Today</th>
              <th scope="col">This period</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(usage.usage.month)
              .filter(([type, n]) => n > 0 || (usage.usage.today[type] ?? 0) > 0)
              .map(([type, n]) => (
                <tr key={type}>
                  <th scope="row">{type}</th>
                  <td>{count(usage.usage.today[type] ?? 0)}</td>
                  <td>{count(n)}</td>
                </tr>
              ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

/** What each line of the plan's rate card has cost this period; shown once the plan prices more than credits. */
function UsageCost({ usage, currency }: { usage: Usage; currency: string }) {
  const lines = usage.cost.lines;
  if (!lines.some((l) => l.key !== '*')) return null;
  const name = (l: (typeof lines)[number]) => {
    const dims = Object.entries(l.match).map(([k, v]) => `${k} ${v}`);
    const what =
      l.key === '*' ? 'Other usage (included credits)' : l.usage_type === '*' ? 'All types' : l.usage_type;
    return `${l.byok ? 'Your own key: ' : ''}${what}${dims.length ? ` · ${dims.join(', ')}` : ''}`;
  };
  return (
    <Card id="usage-cost" title="Usage cost this period">
      <table className="compact">
        <caption>By type and model, rated by your plan</caption>
        <thead>
          <tr>
            <th scope="col">Usage</th>
            <th scope="col">Units</th>
            <th scope="col">Included</th>
            <th scope="col">Cost</th>
          </tr>
        </thead>
        <tbody>
          {lines.map((l) => (
            <tr key={l.key}>
              <th scope="row">{name(l)}</th>
              <td>{count(l.units)}</td>
              <td>{count(l.included_used)}</td>
              <td>{money(l.cost_cents, currency)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">Total</th>
            <td colSpan={2} />
            <td data-testid="usage-cost-total">{money(usage.cost.total_cents, currency)}</td>
          </tr>
        </tfoot>
      </table>
    </Card>
  );
}

function DailyUsage({ daily }: { daily: PeriodSummary['daily_usage'] }) {
  const data = dailySeries(daily);
  return (
    <Card id="daily" title="Daily usage" wide>
      {data.byType.length === 0 ? (
        <Empty>No usage this period yet.</Empty>
      ) : (
        <DailyUsageChart data={data} label="API usage per day this period, by type" />
      )}
    </Card>
  );
}

/** What the plan (and any override an admin made) entitles the customer to, and what is left of each. */
function Entitlements() {
  const list = useLoad(() => call(api.GET('/api/v1/entitlements')), 'entitlements');
  return (
    <Card id="entitlements" title="What you may use" wide>
      <Loaded state={list} what="what you may use">
        {({ entitlements }) => (
          <Table
            label="Entitlements"
            columns={['Feature', 'Allowance', { label: 'Left', num: true }, 'Resets']}
          >
            {entitlements.map((e) => (
              <tr key={e.feature}>
                <th scope="row">{e.feature}</th>
                <td>
                  {e.kind === 'boolean'
                    ? 'Included'
                    : e.limit === null
                      ? 'Unlimited'
                      : `${count(e.limit)}${e.per === 'day' ? ' a day' : e.per === 'period' ? ' this period' : ''}`}
                </td>
                <td className="num">{e.remaining === null ? '—' : count(e.remaining)}</td>
                <td>{e.resets_at ? dateTime(e.resets_at) : '—'}</td>
              </tr>
            ))}
          </Table>
        )}
      </Loaded>
    </Card>
  );
}

export function Dashboard() {
  const d = useLoad(loadDashboard, 'dashboard');
  if (d.error && !d.data)
    return (
      <Page title="Billing">
        <ErrorNotice error={d.error} retry={d.reload} />
      </Page>
    );
  if (!d.data)
    return (
      <Page title="Billing">
        <Loading what="your billing" />
      </Page>
    );
  const { sub, usage, period, access, invoices, plans, cards } = d.data;
  if (sub.status === 'none') {
    return (
      <Page title="Billing">
        <Empty>
          <p>You have no plan yet.</p>
          <p>
            <Link className="button" href="/plans">
              See the plans
            </Link>
          </p>
        </Empty>
      </Page>
    );
  }
  const plan = plans.find((p) => p.id === sub.tier);
  return (
    <Page title="Billing" wide>
      {d.error && <ErrorNotice error={d.error} retry={d.reload} />}
      <DunningBanner sub={sub} invoices={invoices} />
      <div className="grid">
        <PlanSummary sub={sub} plan={plan} hasCard={cards.length > 0} onChanged={d.reload} />
        <UsageMeter usage={usage} dailyLimit={access.daily_api_calls} currency={sub.currency} />
        <UsageCost usage={usage} currency={sub.currency} />
        <NextInvoice estimate={period.next_invoice} />
        <DailyUsage daily={period.daily_usage} />
        <Entitlements />
      </div>
    </Page>
  );
}
