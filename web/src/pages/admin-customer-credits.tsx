import { useState, type FormEvent } from 'react';
import { api, type ApiError, call } from '../api/client';
import { Card, Empty, ErrorNotice, Loaded, Notice, Table } from '../components';
import { useLoad } from '../data';
import { count, date, dateTime } from '../format';

/** A key for one grant the operator submits: a double click or a retry grants once. */
const newKey = () => `console-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

/**
 * A customer's credit ledger in the console: the balance, each grant with what is left (void or extend
 * it, with a reason), every movement, and a form to grant credits. Every action is audited by the API.
 */
export function CustomerCredits({ email, onChanged }: { email: string; onChanged(): void }) {
  const path = { email };
  const ledger = useLoad(
    () => call(api.GET('/api/v1/admin/billing/customers/{email}/credits', { params: { path } })),
    `admin-credits-${email}`,
  );
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [expires, setExpires] = useState('');
  const [key, setKey] = useState(newKey);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const attempt = async (fn: () => Promise<unknown>, after: string) => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      await fn();
      setDone(after);
      ledger.reload();
      onChanged();
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const grant = (e: FormEvent) => {
    e.preventDefault();
    void attempt(async () => {
      await call(
        api.POST('/api/v1/admin/billing/customers/{email}/credits', {
          params: { path },
          body: {
            amount: Number(amount),
            reason: reason.trim(),
            ...(expires ? { expires_at: new Date(`${expires}T23:59:59Z`).toISOString() } : {}),
          },
          headers: { 'Idempotency-Key': key },
        }),
      );
      setAmount('');
      setReason('');
      setExpires('');
      setKey(newKey());
    }, `Granted ${amount} credits.`);
  };
  const voidGrant = (grantId: string) => {
    const why = window.prompt('Why void what is left of this grant?');
    if (!why?.trim()) return;
    void attempt(
      () =>
        call(
          api.POST('/api/v1/admin/billing/customers/{email}/credits/{grant_id}/void', {
            params: { path: { email, grant_id: grantId } },
            body: { reason: why.trim() },
          }),
        ),
      'Voided what was left of the grant.',
    );
  };

  return (
    <Card id="credits" title="Credits" wide>
      {done && <Notice kind="success">{done}</Notice>}
      {error && <ErrorNotice error={error} />}
      <Loaded state={ledger} what="the credit ledger">
        {(l) => (
          <>
            <p>
              Prepaid balance <strong data-testid="admin-credit-balance">{count(l.credits.balance)}</strong>{' '}
              credits
              {l.credits.spend_cap.amount_cents !== null && (
                <>
                  {' '}
                  · spend cap {(l.credits.spend_cap.amount_cents / 100).toFixed(2)} USD (
                  {l.credits.spend_cap.mode})
                </>
              )}
            </p>
            {l.credits.grants.length === 0 ? (
              <Empty>No grants yet.</Empty>
            ) : (
              <Table
                label="Grants"
                columns={[
                  'Source',
                  { label: 'Amount', num: true },
                  { label: 'Left', num: true },
                  'Expires',
                  'Reason',
                  { label: 'Actions', hidden: true },
                ]}
              >
                {l.credits.grants.map((g) => (
                  <tr key={g.id}>
                    <td>{g.source}</td>
                    <td className="num">{count(g.amount)}</td>
                    <td className="num">{count(g.remaining)}</td>
                    <td>{g.expires_at ? date(g.expires_at) : 'Never'}</td>
                    <td>{g.reason ?? ''}</td>
                    <td>
                      {g.remaining > 0 && (
                        <button
                          type="button"
                          className="secondary"
                          disabled={busy}
                          onClick={() => voidGrant(g.id)}
                        >
                          Void
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </Table>
            )}
            <h3>Movements</h3>
            {l.movements.length === 0 ? (
              <Empty>Nothing drawn, expired or voided yet.</Empty>
            ) : (
              <Table
                label="Movements"
                columns={['When', 'What', { label: 'Credits', num: true }, 'Reason', 'By']}
              >
                {l.movements.map((m) => (
                  <tr key={m.id}>
                    <td>{dateTime(m.at)}</td>
                    <td>{m.kind}</td>
                    <td className="num">{count(m.amount)}</td>
                    <td>{m.reason ?? ''}</td>
                    <td>{m.actor ?? ''}</td>
                  </tr>
                ))}
              </Table>
            )}
          </>
        )}
      </Loaded>
      <h3>Grant credits</h3>
      <form className="filters" onSubmit={grant} aria-label="Grant credits">
        <label>
          Credits to grant{' '}
          <input
            name="grant-amount"
            inputMode="numeric"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            required
          />
        </label>
        <label>
          Reason{' '}
          <input name="grant-reason" value={reason} onChange={(e) => setReason(e.target.value)} required />
        </label>
        <label>
          Expires{' '}
          <input
            name="grant-expires"
            type="date"
            value={expires}
            onChange={(e) => setExpires(e.target.value)}
          />
        </label>
        <button type="submit" disabled={busy || !amount || !reason.trim()}>
          Grant credits
        </button>
      </form>
    </Card>
  );
}
