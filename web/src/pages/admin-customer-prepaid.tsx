import { useState, type FormEvent } from 'react';
import { api, call } from '../api/client';
import { Card, ErrorNotice, Loaded, Notice } from '../components';
import { useAttempt, useLoad } from '../data';
import { fractionDigits, money } from '../format';
import { commitTerm, PrepaidCommits } from '../prepaid-commit';

/**
 * A customer's prepaid commits in the console: a form to sell one (the amount, the term in billing periods,
 * and whether what is left expires or rolls over), charged to their card at once, and every commit with
 * what it drew. The sale is audited by the API.
 */
export function CustomerPrepaidCommits({
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
    () => call(api.GET('/api/v1/admin/billing/customers/{email}/prepaid-commits', { params: { path } })),
    `admin-prepaid-commits-${email}`,
  );
  const [amount, setAmount] = useState('');
  const [periods, setPeriods] = useState('12');
  const [unused, setUnused] = useState<'expire' | 'roll_over'>('expire');
  const [declined, setDeclined] = useState<string | null>(null);
  const digits = fractionDigits(currency);

  const { busy, error, done, attempt } = useAttempt(() => {
    onChanged();
    return state.reload();
  });
  const sell = (e: FormEvent) => {
    e.preventDefault();
    setDeclined(null);
    void attempt(async () => {
      const { commit } = await call(
        api.POST('/api/v1/admin/billing/customers/{email}/prepaid-commits', {
          params: { path },
          body: {
            amount_cents: Math.round(Number(amount) * 10 ** digits),
            periods: Number(periods),
            unused,
          },
        }),
      );
      setAmount('');
      if (commit.status === 'declined') {
        setDeclined(
          `The card declined ${money(commit.amount_cents, commit.currency)}: nothing was credited.`,
        );
        return 'The commit’s invoice was voided.';
      }
      return `Prepaid commit of ${money(commit.amount_cents, commit.currency)} paid and credited: ${commitTerm(commit)}.`;
    });
  };
  const live = state.data?.commits.some((c) => c.status === 'active' || c.status === 'funding') ?? false;

  return (
    <Card id="prepaid-commits" title="Prepaid commit" wide>
      {declined ? <Notice kind="warning">{declined}</Notice> : done && <Notice kind="success">{done}</Notice>}
      {error && <ErrorNotice error={error} />}
      <Loaded state={state} what="the prepaid commits">
        {(c) => (
          <>
            {!live && (
              <form className="filters" aria-label="Sell a prepaid commit" onSubmit={sell}>
                <label>
                  Amount in {currency.toUpperCase()}{' '}
                  <input
                    name="prepaid-amount"
                    inputMode="decimal"
                    pattern={digits === 0 ? '[0-9]+' : `[0-9]+([.][0-9]{1,${digits}})?`}
                    value={amount}
                    onChange={(e) => setAmount(e.target.value)}
                    required
                  />
                </label>
                <label>
                  Billing periods{' '}
                  <input
                    name="prepaid-periods"
                    type="number"
                    min={1}
                    max={36}
                    value={periods}
                    onChange={(e) => setPeriods(e.target.value)}
                    required
                  />
                </label>
                <label>
                  What is left at the end{' '}
                  <select
                    name="prepaid-unused"
                    value={unused}
                    onChange={(e) => setUnused(e.target.value as typeof unused)}
                  >
                    <option value="expire">expires</option>
                    <option value="roll_over">rolls over</option>
                  </select>
                </label>
                <button type="submit" disabled={busy || !amount.trim()}>
                  Charge and credit
                </button>
              </form>
            )}
            <PrepaidCommits commits={c.commits} />
          </>
        )}
      </Loaded>
    </Card>
  );
}
