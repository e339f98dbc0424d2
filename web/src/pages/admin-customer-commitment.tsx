import { useState, type FormEvent } from 'react';
import { api, call } from '../api/client';
import { CommitmentPeriods, commitmentTerms } from '../commitment';
import { Card, ErrorNotice, Loaded, Notice } from '../components';
import { useAttempt, useLoad } from '../data';
import { date, fractionDigits, money } from '../format';

/**
 * A customer's minimum commitment in the console: what is promised, a form to set one (from the next
 * period or the current one) or a button to end it at the period end, and every period settled with its
 * true-up. Each action is audited by the API.
 */
export function CustomerCommitment({
  email,
  currency,
  onChanged,
}: {
  email: string;
  currency: string;
  onChanged(): void;
}) {
  const path = { email };
  const state = useLoad(
    () => call(api.GET('/api/v1/admin/billing/customers/{email}/commitment', { params: { path } })),
    `admin-commitment-${email}`,
  );
  const [amount, setAmount] = useState('');
  const [from, setFrom] = useState<'next_period' | 'current_period'>('next_period');
  const digits = fractionDigits(currency);

  const { busy, error, done, attempt } = useAttempt(() => {
    onChanged();
    return state.reload();
  });
  const set = (e: FormEvent) => {
    e.preventDefault();
    const minimumCents = Math.round(Number(amount) * 10 ** digits);
    void attempt(async () => {
      const after = await call(
        api.POST('/api/v1/admin/billing/customers/{email}/commitment', {
          params: { path },
          body: { minimum_cents: minimumCents, from },
        }),
      );
      setAmount('');
      return after.commitment ? `Commitment set: ${commitmentTerms(after.commitment)}.` : 'Commitment set.';
    });
  };
  const end = () =>
    void attempt(async () => {
      const after = await call(
        api.DELETE('/api/v1/admin/billing/customers/{email}/commitment', { params: { path } }),
      );
      const ended = after.ended[0];
      return ended?.ended_at ? `Commitment ends ${date(ended.ended_at)}.` : 'Commitment ended.';
    });

  return (
    <Card id="commitment" title="Minimum commitment" wide>
      {done && <Notice kind="success">{done}</Notice>}
      {error && <ErrorNotice error={error} />}
      <Loaded state={state} what="the commitment">
        {(c) => (
          <>
            {c.commitment ? (
              <p data-testid="admin-commitment">
                Billed {commitmentTerms(c.commitment)}; a period billed less is trued up once it ends.{' '}
                <button type="button" className="secondary" disabled={busy} onClick={end}>
                  End at the period end
                </button>
              </p>
            ) : (
              <form className="filters" aria-label="Set a minimum commitment" onSubmit={set}>
                <label>
                  Minimum a period in {currency.toUpperCase()}{' '}
                  <input
                    name="commitment-minimum"
                    inputMode="decimal"
                    pattern={digits === 0 ? '[0-9]+' : `[0-9]+([.][0-9]{1,${digits}})?`}
                    value={amount}
                    onChange={(e) => setAmount(e.target.value)}
                    required
                  />
                </label>
                <label>
                  From{' '}
                  <select
                    name="commitment-from"
                    value={from}
                    onChange={(e) => setFrom(e.target.value as typeof from)}
                  >
                    <option value="next_period">the next period</option>
                    <option value="current_period">the current period, whole</option>
                  </select>
                </label>
                <button type="submit" disabled={busy || !amount.trim()}>
                  Set the commitment
                </button>
              </form>
            )}
            <CommitmentPeriods periods={c.periods} />
            {c.ended.length > 0 && (
              <p className="small">
                Ended:{' '}
                {c.ended
                  .map(
                    (e) =>
                      `${money(e.minimum_cents, e.currency)} from ${date(e.starts_at)} to ${date(e.ended_at ?? e.starts_at)}`,
                  )
                  .join('; ')}
              </p>
            )}
          </>
        )}
      </Loaded>
    </Card>
  );
}
