import { useEffect, useState, type FormEvent } from 'react';
import { api, type ApiError, call } from '../api/client';
import { Card, Empty, ErrorNotice, Loaded, Notice, Page, Table } from '../components';
import { useLoad } from '../data';
import { count, date, money } from '../format';
import { navigate, useLocation } from '../router';
import { AutoTopUpForm, BuyCredits } from './credit-purchase';
import { OwnBudgets } from '../budgets';
import { SeatCreditsTable } from '../seat-credits';

const SOURCE: Record<string, string> = {
  purchase: 'Bought',
  promotion: 'Promotion',
  admin: 'Granted',
  refund: 'Refund',
  included: 'Included',
};

type Credits = Awaited<ReturnType<typeof loadCredits>>;

const loadCredits = () => call(api.GET('/api/v1/billing/credits'));

/** The spend cap: an amount of overage a period, refused past it or only notified; lifted when empty. */
function SpendCapForm({ credits, onSaved }: { credits: Credits; onSaved(): void }) {
  const cap = credits.spend_cap;
  // Under an administrator's maximum the cap always refuses usage past it: the engine refuses `notify`.
  const underMaximum = cap.max_cents !== null;
  const [amount, setAmount] = useState(cap.amount_cents === null ? '' : String(cap.amount_cents / 100));
  const [mode, setMode] = useState<'block' | 'notify'>(underMaximum ? 'block' : cap.mode);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const dollars = amount.trim();
      await call(
        api.PUT('/api/v1/billing/spend-cap', {
          body: { amount_cents: dollars === '' ? null : Math.round(Number(dollars) * 100), mode },
        }),
      );
      setSaved(true);
      onSaved();
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="form" onSubmit={submit} aria-label="Spend cap">
      {error && <ErrorNotice error={error} />}
      {saved && <Notice kind="success">Spend cap saved.</Notice>}
      <label htmlFor="cap-amount">
        Most overage a billing period may cost ({credits.currency.toUpperCase()}; empty for no cap)
      </label>
      <input
        id="cap-amount"
        inputMode="decimal"
        value={amount}
        onChange={(e) => setAmount(e.target.value)}
        placeholder="No cap"
      />
      <fieldset>
        <legend>Past the cap</legend>
        <label>
          <input type="radio" name="cap-mode" checked={mode === 'block'} onChange={() => setMode('block')} />{' '}
          Refuse usage
        </label>
        <label>
          <input
            type="radio"
            name="cap-mode"
            checked={mode === 'notify'}
            disabled={underMaximum}
            onChange={() => setMode('notify')}
          />{' '}
          Only tell me
        </label>
      </fieldset>
      {cap.max_cents !== null && (
        <p className="muted">
          Your administrator allows at most {money(cap.max_cents, credits.currency)}, and usage past your cap
          is refused.
        </p>
      )}
      <button type="submit" disabled={busy}>
        Save the cap
      </button>
    </form>
  );
}

type Alerts = Awaited<ReturnType<typeof loadAlerts>>;
const loadAlerts = () => call(api.GET('/api/v1/billing/alerts'));

const SOURCE_OF: Record<string, string> = {
  customer: 'yours',
  plan: 'your plan’s default',
  engine: 'the default',
};

/** Alert thresholds: each shows what holds and whose it is; an empty field goes back to the default. */
function AlertsForm({ alerts, currency, onSaved }: { alerts: Alerts; currency: string; onSaved(): void }) {
  const own = (t: { value: number | null; source: string }) =>
    t.source === 'customer' && t.value !== null ? String(t.value) : '';
  const [percent, setPercent] = useState(own(alerts.included_percent));
  const [below, setBelow] = useState(own(alerts.balance_below));
  const [overage, setOverage] = useState(
    alerts.overage_cents.source === 'customer' && alerts.overage_cents.value !== null
      ? String(alerts.overage_cents.value / 100)
      : '',
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState(false);
  const num = (v: string, scale = 1) => (v.trim() === '' ? null : Math.round(Number(v) * scale));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      await call(
        api.PUT('/api/v1/billing/alerts', {
          body: {
            included_percent: num(percent),
            balance_below: num(below),
            overage_cents: num(overage, 100),
          },
        }),
      );
      setSaved(true);
      onSaved();
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const hint = (t: { value: number | null; source: string }, unit: (v: number) => string) =>
    t.value === null ? 'off' : `${unit(t.value)} (${SOURCE_OF[t.source] ?? t.source})`;
  return (
    <form className="form" onSubmit={submit} aria-label="Alerts">
      {error && <ErrorNotice error={error} />}
      {saved && <Notice kind="success">Alerts saved.</Notice>}
      <label htmlFor="alert-percent">
        Tell me when this share of my included credits is used (%): now{' '}
        {hint(alerts.included_percent, (v) => `${v} %`)}
      </label>
      <input
        id="alert-percent"
        inputMode="numeric"
        value={percent}
        onChange={(e) => setPercent(e.target.value)}
      />
      <label htmlFor="alert-below">
        Tell me when my prepaid balance falls below (credits): now {hint(alerts.balance_below, count)}
      </label>
      <input id="alert-below" inputMode="numeric" value={below} onChange={(e) => setBelow(e.target.value)} />
      <label htmlFor="alert-overage">
        Tell me when this period’s overage reaches ({currency.toUpperCase()}): now{' '}
        {hint(alerts.overage_cents, (v) => money(v, currency))}
      </label>
      <input
        id="alert-overage"
        inputMode="decimal"
        value={overage}
        onChange={(e) => setOverage(e.target.value)}
      />
      <button type="submit" disabled={busy}>
        Save the alerts
      </button>
    </form>
  );
}

/**
 * The customer's prepaid credits: the balance and the grants it is made of (in the order usage draws on
 * them), this period's included credits, and the spend cap with the period's overage against it.
 */
export function CreditsPage() {
  const { query } = useLocation();
  const credits = useLoad(loadCredits, 'credits');
  const alerts = useLoad(loadAlerts, 'credit-alerts');
  const [returned] = useState(() => query.get('purchase'));
  const reload = credits.reload;
  // Back from Checkout: the credits come with Stripe's webhook, a moment after the page; look again then.
  // The address Checkout came back to is not one to reload or share.
  useEffect(() => {
    if (!returned) return;
    navigate('/billing/credits', { replace: true });
    if (returned === 'canceled') return;
    const looks = [1000, 3000, 8000].map((ms) => setTimeout(reload, ms));
    return () => looks.forEach(clearTimeout);
  }, [returned, reload]);
  return (
    <Page title="Credits">
      {returned && returned !== 'canceled' && (
        <Notice kind="success">
          Payment received: your credits appear here as soon as Stripe confirms it.
        </Notice>
      )}
      {returned === 'canceled' && <Notice kind="info">Nothing was bought.</Notice>}
      <Loaded state={credits} what="your credits">
        {(c) => (
          <>
            {c.spend_cap.reached && (
              <Notice kind="warning">
                Your spend cap is reached: usage beyond your credits is refused until{' '}
                {date(c.spend_cap.resets_at)}.
              </Notice>
            )}
            {c.auto_top_up.note && <Notice kind="warning">{c.auto_top_up.note}</Notice>}
            <div className="grid">
              <Card id="balance" title="Prepaid balance">
                <p className="figure" data-testid="credit-balance">
                  <strong>{count(c.balance)}</strong> credits
                </p>
                <p className="muted">
                  One credit pays for one unit of usage, after this period’s included credits.
                </p>
              </Card>
              <Card id="included" title="Included this period">
                {c.included ? (
                  <p>
                    <strong>{count(c.included.remaining)}</strong> of {count(c.included.credits)} left, until{' '}
                    {date(c.included.period_end)}
                  </p>
                ) : (
                  <Empty>No plan yet.</Empty>
                )}
              </Card>
              <Card id="overage" title="Overage this period">
                <p>
                  <strong>{money(c.spend_cap.period_overage_cents, c.currency)}</strong> for{' '}
                  {count(c.spend_cap.period_overage_units)} units beyond your credits
                  {c.spend_cap.amount_cents !== null && (
                    <> (cap {money(c.spend_cap.amount_cents, c.currency)})</>
                  )}
                </p>
              </Card>
            </div>
            {c.seats && (
              <Card id="seat-credits" title="Seat credits this period" wide>
                <SeatCreditsTable seats={c.seats} />
              </Card>
            )}
            <Card id="grants" title="Your credits, in the order they are used" wide>
              {c.grants.length === 0 ? (
                <Empty>No prepaid credits yet.</Empty>
              ) : (
                <Table
                  label="Credit grants"
                  columns={[
                    'From',
                    { label: 'Granted', num: true },
                    { label: 'Left', num: true },
                    'Expires',
                    'Note',
                  ]}
                >
                  {c.grants.map((g) => (
                    <tr key={g.id} className={g.live ? undefined : 'muted'}>
                      <td>{SOURCE[g.source] ?? g.source}</td>
                      <td className="num">{count(g.amount)}</td>
                      <td className="num">{count(g.remaining)}</td>
                      <td>{g.expires_at ? date(g.expires_at) : 'Never'}</td>
                      <td>{g.reason ?? ''}</td>
                    </tr>
                  ))}
                </Table>
              )}
            </Card>
            <Card id="buy" title="Buy credits" wide>
              <BuyCredits />
            </Card>
            <Card id="auto-top-up" title="Automatic top-up" wide>
              <AutoTopUpForm current={c.auto_top_up} onSaved={credits.reload} />
            </Card>
            <Card id="cap" title="Spend cap" wide>
              <SpendCapForm credits={c} onSaved={credits.reload} />
            </Card>
            <Card id="alerts" title="Alerts" wide>
              <Loaded state={alerts} what="your alerts">
                {(a) => <AlertsForm alerts={a} currency={c.currency} onSaved={alerts.reload} />}
              </Loaded>
            </Card>
            <OwnBudgets />
          </>
        )}
      </Loaded>
    </Page>
  );
}
