import { useState, type FormEvent } from 'react';
import { api, type ApiError, call } from '../api/client';
import { Card, Empty, ErrorNotice, Loaded, Notice, Page, Table } from '../components';
import { useLoad } from '../data';
import { count, date, money } from '../format';

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
  const [amount, setAmount] = useState(cap.amount_cents === null ? '' : String(cap.amount_cents / 100));
  const [mode, setMode] = useState<'block' | 'notify'>(cap.mode);
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
      <label htmlFor="cap-amount">Most overage a billing period may cost (USD; empty for no cap)</label>
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
            onChange={() => setMode('notify')}
          />{' '}
          Only tell me
        </label>
      </fieldset>
      {cap.max_cents !== null && (
        <p className="muted">Your administrator allows at most {money(cap.max_cents, 'usd')}.</p>
      )}
      <button type="submit" disabled={busy}>
        Save the cap
      </button>
    </form>
  );
}

/**
 * The customer's prepaid credits: the balance and the grants it is made of (in the order usage draws on
 * them), this period's included credits, and the spend cap with the period's overage against it.
 */
export function CreditsPage() {
  const credits = useLoad(loadCredits, 'credits');
  return (
    <Page title="Credits">
      <Loaded state={credits} what="your credits">
        {(c) => (
          <>
            {c.spend_cap.reached && (
              <Notice kind="warning">
                Your spend cap is reached: usage beyond your credits is refused until{' '}
                {date(c.spend_cap.resets_at)}.
              </Notice>
            )}
            {c.auto_top_up.note && <Notice kind="warning">Auto top-up is off: {c.auto_top_up.note}</Notice>}
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
                  <strong>{money(c.spend_cap.period_overage_cents, 'usd')}</strong> for{' '}
                  {count(c.spend_cap.period_overage_units)} units beyond your credits
                  {c.spend_cap.amount_cents !== null && <> (cap {money(c.spend_cap.amount_cents, 'usd')})</>}
                </p>
              </Card>
            </div>
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
            <Card id="cap" title="Spend cap" wide>
              <SpendCapForm credits={c} onSaved={credits.reload} />
            </Card>
          </>
        )}
      </Loaded>
    </Page>
  );
}
