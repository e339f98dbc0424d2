import { useState, type FormEvent } from 'react';
import { api, call } from '../api/client';
import { Card, Empty, ErrorNotice, Loaded, Notice, Table } from '../components';
import { SeatCreditsTable } from '../seat-credits';
import { useAttempt, useLoad } from '../data';
import { count, date, dateTime, fractionDigits } from '../format';
import { RowAction } from '../form-kit';

/** A key for one grant the operator submits: a double click or a retry grants once. */
const newKey = () => `console-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

/** A date input's value (the operator's day) as the end of that day in UTC, as the grant form sends it. */
const endOfDay = (day: string) => new Date(`${day}T23:59:59Z`).toISOString();

/** The day after the instant `ms` as a date input's value (UTC, as endOfDay reads it back). */
const dayAfter = (ms: number) => new Date(ms + 86_400_000).toISOString().slice(0, 10);

/**
 * Moves a grant's expiry later, with a reason. The API refuses a date that is not later than both the
 * current expiry and now, so the date input starts past both and the browser refuses an earlier one.
 */
function ExtendForm({
  source,
  expiresAt,
  busy,
  onExtend,
  onBack,
}: {
  source: string;
  expiresAt: string;
  busy: boolean;
  onExtend(expiresAt: string, reason: string): void;
  onBack(): void;
}) {
  const earliest = dayAfter(Math.max(Date.parse(expiresAt), Date.now()));
  const [day, setDay] = useState(earliest);
  const [reason, setReason] = useState('');
  return (
    <>
      <h3>
        Extend the {source} grant that expires {date(expiresAt)}
      </h3>
      <form
        className="filters"
        aria-label="Extend the grant"
        onSubmit={(e) => {
          e.preventDefault();
          onExtend(endOfDay(day), reason.trim());
        }}
      >
        <label>
          New expiry{' '}
          <input
            name="extend-expires"
            type="date"
            min={earliest}
            value={day}
            onChange={(e) => setDay(e.target.value)}
            required
          />
        </label>
        <label>
          Reason for the extension{' '}
          <input name="extend-reason" value={reason} onChange={(e) => setReason(e.target.value)} required />
        </label>
        <button type="submit" disabled={busy || !day || !reason.trim()}>
          Extend the grant
        </button>
        <button type="button" className="secondary" onClick={onBack}>
          Back
        </button>
      </form>
    </>
  );
}

/**
 * Spend caps are in the customer's currency (their subscription's, as the ledger answers it), shown as an
 * amount and its code: "12.50 EUR".
 */
const inCurrency = (cents: number, currency: string) => {
  const digits = fractionDigits(currency);
  return `${(cents / 10 ** digits).toFixed(digits)} ${currency.toUpperCase()}`;
};

/** An amount as the operator types it in the currency: whole units, and its minor units if it has them. */
const amountPattern = (currency: string) => {
  const digits = fractionDigits(currency);
  return digits === 0 ? '[0-9]+' : `[0-9]+([.][0-9]{1,${digits}})?`;
};

/**
 * The highest spend cap the customer may set. Empty lifts the maximum; the API lowers (or sets) the
 * customer's own cap to a new maximum, so the notice after saving says where their cap now stands.
 */
function SpendCapMaxForm({
  maxCents,
  currency,
  busy,
  onSave,
}: {
  maxCents: number | null;
  currency: string;
  busy: boolean;
  onSave(maxCents: number | null): void;
}) {
  const digits = fractionDigits(currency);
  const [amount, setAmount] = useState(maxCents === null ? '' : (maxCents / 10 ** digits).toFixed(digits));
  return (
    <form
      className="filters"
      aria-label="Spend cap maximum"
      onSubmit={(e) => {
        e.preventDefault();
        const typed = amount.trim();
        onSave(typed === '' ? null : Math.round(Number(typed) * 10 ** digits));
      }}
    >
      <label>
        Maximum in {currency.toUpperCase()} (empty: none){' '}
        <input
          name="spend-cap-max"
          inputMode="decimal"
          pattern={amountPattern(currency)}
          placeholder="No maximum"
          value={amount}
          onChange={(e) => setAmount(e.target.value)}
        />
      </label>
      <button type="submit" disabled={busy}>
        Save the maximum
      </button>
    </form>
  );
}

/**
 * A customer's credit ledger in the console: the balance, each grant with what is left (void or extend
 * it, with a reason), every movement, a form to grant credits and one for the highest spend cap the
 * customer may set. Every action is audited by the API.
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
  const [extending, setExtending] = useState<string | null>(null);

  const { busy, error, done, attempt } = useAttempt(() => {
    onChanged();
    return ledger.reload();
  });
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
      return `Granted ${amount} credits.`;
    });
  };
  const voidGrant = (grantId: string) => {
    const why = window.prompt('Why void what is left of this grant?');
    if (!why?.trim()) return;
    void attempt(async () => {
      await call(
        api.POST('/api/v1/admin/billing/customers/{email}/credits/{grant_id}/void', {
          params: { path: { email, grant_id: grantId } },
          body: { reason: why.trim() },
        }),
      );
      return 'Voided what was left of the grant.';
    });
  };
  const extendGrant = (grantId: string, expiresAt: string, why: string) =>
    void attempt(async () => {
      const grant = await call(
        api.POST('/api/v1/admin/billing/customers/{email}/credits/{grant_id}/extend', {
          params: { path: { email, grant_id: grantId } },
          body: { expires_at: expiresAt, reason: why },
        }),
      );
      setExtending(null);
      return `Extended the grant to ${date(grant.expires_at)}.`;
    });
  const saveSpendCapMax = (maxCents: number | null) =>
    void attempt(async () => {
      const after = await call(
        api.PUT('/api/v1/admin/billing/customers/{email}/spend-cap-max', {
          params: { path },
          body: { max_cents: maxCents },
        }),
      );
      if (maxCents === null) return 'The customer may set any spend cap.';
      const cap = after.credits.spend_cap.amount_cents;
      const currency = after.credits.currency;
      return (
        `Spend cap maximum set to ${inCurrency(maxCents, currency)}; ` +
        `the customer's cap is ${cap === null ? 'none' : inCurrency(cap, currency)}.`
      );
    });
  const extended = ledger.data?.credits.grants.find((g) => g.id === extending);

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
                  · spend cap {inCurrency(l.credits.spend_cap.amount_cents, l.credits.currency)} (
                  {l.credits.spend_cap.mode})
                </>
              )}
              {l.credits.spend_cap.max_cents === null ? (
                <> · no spend cap maximum</>
              ) : (
                <>
                  {' '}
                  · spend cap at most{' '}
                  <strong data-testid="admin-spend-cap-max">
                    {inCurrency(l.credits.spend_cap.max_cents, l.credits.currency)}
                  </strong>
                </>
              )}
            </p>
            {l.credits.seats && (
              <section aria-label="Seat credits this period">
                <h3>Seat credits this period</h3>
                <SeatCreditsTable seats={l.credits.seats} />
              </section>
            )}
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
                      <div className="row-actions">
                        {g.remaining > 0 && (
                          <RowAction busy={busy} onClick={() => voidGrant(g.id)}>
                            Void
                          </RowAction>
                        )}
                        {/* The API extends only a grant that expires; one that never does has nothing to move. */}
                        {g.remaining > 0 && g.expires_at !== null && (
                          <RowAction
                            busy={busy}
                            expanded={extending === g.id}
                            onClick={() => setExtending(g.id)}
                          >
                            Extend
                          </RowAction>
                        )}
                      </div>
                    </td>
                  </tr>
                ))}
              </Table>
            )}
            {extended?.expires_at && (
              <ExtendForm
                key={extended.id}
                source={extended.source}
                expiresAt={extended.expires_at}
                busy={busy}
                onExtend={(at, why) => extendGrant(extended.id, at, why)}
                onBack={() => setExtending(null)}
              />
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
      {ledger.data && (
        <>
          <h3>Spend cap maximum</h3>
          <SpendCapMaxForm
            key={String(ledger.data.credits.spend_cap.max_cents)}
            maxCents={ledger.data.credits.spend_cap.max_cents}
            currency={ledger.data.credits.currency}
            busy={busy}
            onSave={saveSpendCapMax}
          />
        </>
      )}
    </Card>
  );
}
