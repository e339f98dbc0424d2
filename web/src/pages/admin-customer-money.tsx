import { Fragment, useState } from 'react';
import { api, type ApiError, call } from '../api/client';
import { Card, Empty, ErrorNotice, Loaded, Notice, Table } from '../components';
import { useLoad } from '../data';
import { date, money } from '../format';
import { RowAction } from '../form-kit';
import { Pager, useCursorPages } from '../cursor-pages';
import { ExplainedInvoice } from '../invoice-explanation';

const CREDIT_REASONS = ['duplicate', 'fraudulent', 'order_change', 'product_unsatisfactory'] as const;
type CreditReason = (typeof CREDIT_REASONS)[number];

interface Target {
  kind: 'refund' | 'credit';
  invoice: string;
  currency: string;
  /** What is left: the most the API will accept. */
  left: number;
  /** One per opened dialog: a second click or a retry replays the first answer instead of paying twice. */
  key: string;
}

function idempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `console-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** "12.34" → 1234; empty → undefined (the whole amount left); anything else → NaN. */
function centsOf(text: string): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  if (!/^\d+(\.\d{1,2})?$/.test(t)) return Number.NaN;
  const [whole, frac = ''] = t.split('.');
  return Number(whole) * 100 + Number(frac.padEnd(2, '0'));
}

/**
 * The customer's invoices with their charges, newest first; a paid one can be refunded and a paid or open
 * one credited from here, each confirmed (amount, reason) and audited by the API, with its answer shown.
 */
export function CustomerMoney({ email, onChanged }: { email: string; onChanged(): void }) {
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const list = useLoad(
    () =>
      call(
        api.GET('/api/v1/admin/billing/customers/{email}/invoices', {
          params: { path: { email }, query: { limit: 10, ...(cursor ? { cursor } : {}) } },
        }),
      ),
    `admin-customer-invoices-${email}-${cursor ?? ''}`,
  );
  const [target, setTarget] = useState<Target | null>(null);
  const [explaining, setExplaining] = useState<string | null>(null);
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [creditReason, setCreditReason] = useState<CreditReason>('order_change');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const open = (t: Omit<Target, 'key'>) => {
    setTarget({ ...t, key: idempotencyKey() });
    setAmount('');
    setReason('');
    setError(null);
    setDone(null);
  };
  const cents = centsOf(amount);
  const badAmount =
    cents !== undefined && (Number.isNaN(cents) || cents <= 0 || (target && cents > target.left));
  const submit = async () => {
    if (!target || badAmount) return;
    setBusy(true);
    setError(null);
    try {
      const path = { id: target.invoice };
      const amountPart = cents === undefined ? {} : { amount_cents: cents };
      let said: string;
      if (target.kind === 'refund') {
        const r = await call(
          api.POST('/api/v1/admin/billing/invoices/{id}/refund', {
            params: { path },
            body: { ...amountPart, reason: reason.trim(), idempotency_key: target.key },
          }),
        );
        said =
          `Refunded ${money(r.amount_cents, r.currency)} on ${r.invoice} (${r.refund_id}); ` +
          `${money(r.amount_refunded_cents, r.currency)} of ${money(r.charge_amount_cents, r.currency)} refunded in all.`;
      } else {
        const n = await call(
          api.POST('/api/v1/admin/billing/invoices/{id}/credit-notes', {
            params: { path },
            body: {
              ...amountPart,
              reason: creditReason,
              ...(reason.trim() ? { memo: reason.trim() } : {}),
              idempotency_key: target.key,
            },
          }),
        );
        said =
          `Credit note ${n.number ?? n.credit_note_id} for ${money(n.amount_cents, n.currency)} on ${n.invoice}; ` +
          `${money(n.amount_left_cents, n.currency)} left to credit.`;
      }
      setTarget(null);
      // Told once the table shows what was refunded or credited.
      await list.reload();
      setDone(said);
      onChanged();
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card id="money" title="Invoices and charges">
      {done && <Notice kind="success">{done}</Notice>}
      <Loaded state={list} what="the invoices">
        {(data) =>
          data.invoices.length === 0 ? (
            <Empty>No invoice yet.</Empty>
          ) : (
            <>
              <Table
                label="Invoices and charges"
                columns={[
                  'Invoice',
                  'Date',
                  'Status',
                  { label: 'Paid', num: true },
                  { label: 'Refunded', num: true },
                  { label: 'Credited', num: true },
                  'Charges',
                  'Actions',
                ]}
              >
                {data.invoices.map((i) => (
                  <Fragment key={i.id}>
                    <tr data-testid={`invoice-${i.id}`}>
                      <th scope="row">
                        <code>{i.number ?? i.id}</code>
                      </th>
                      <td>{date(i.created)}</td>
                      <td>{i.status}</td>
                      <td className="num">{money(i.amount_paid_cents, i.currency)}</td>
                      <td className="num">{money(i.amount_refunded_cents, i.currency)}</td>
                      <td className="num">{money(i.amount_credited_cents, i.currency)}</td>
                      <td>
                        {i.charges.length === 0
                          ? '—'
                          : i.charges.map((c) => (
                              <div key={c.id} className="small">
                                <code>{c.id}</code> {c.status} {money(c.amount_cents, i.currency)}
                                {c.card ? `, ${c.card}` : ''}
                                {c.dispute_status ? `, disputed (${c.dispute_status})` : ''}
                                {c.failure_code ? `, ${c.failure_code}` : ''}
                              </div>
                            ))}
                      </td>
                      <td>
                        <div className="row-actions">
                          <RowAction
                            className="secondary small"
                            expanded={explaining === i.id}
                            label={`Explain invoice ${i.number ?? i.id}`}
                            onClick={() => setExplaining((open) => (open === i.id ? null : i.id))}
                          >
                            Explain
                          </RowAction>
                          {i.refundable_cents > 0 && (
                            <RowAction
                              className="secondary small"
                              label={`Refund ${i.number ?? i.id}`}
                              onClick={() =>
                                open({
                                  kind: 'refund',
                                  invoice: i.id,
                                  currency: i.currency,
                                  left: i.refundable_cents,
                                })
                              }
                            >
                              Refund
                            </RowAction>
                          )}
                          {i.creditable_cents > 0 && (
                            <RowAction
                              className="secondary small"
                              label={`Credit note on ${i.number ?? i.id}`}
                              onClick={() =>
                                open({
                                  kind: 'credit',
                                  invoice: i.id,
                                  currency: i.currency,
                                  left: i.creditable_cents,
                                })
                              }
                            >
                              Credit note
                            </RowAction>
                          )}
                        </div>
                      </td>
                    </tr>
                    {explaining === i.id && (
                      <tr>
                        <td colSpan={8}>
                          <ExplainedInvoice
                            loadKey={`admin-explain-${i.id}`}
                            load={() =>
                              call(
                                api.GET('/api/v1/admin/billing/invoices/{id}/explain', {
                                  params: { path: { id: i.id } },
                                }),
                              )
                            }
                            csvPath={`/api/v1/admin/billing/invoices/${encodeURIComponent(i.id)}/explain?format=csv`}
                            level={3}
                          />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                ))}
              </Table>
              <Pager pages={pages} next={data.next_cursor} />
            </>
          )
        }
      </Loaded>
      {target && (
        <form
          className="notice warning"
          role="alertdialog"
          aria-labelledby="money-confirm-heading"
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <h3 id="money-confirm-heading">
            {target.kind === 'refund' ? 'Refund' : 'Issue a credit note on'} {target.invoice}?
          </h3>
          <p>
            Up to {money(target.left, target.currency)} is left
            {target.kind === 'refund' ? ' to refund to the card' : ' to credit'}. It is recorded in the audit
            log under your name.
          </p>
          {error && <ErrorNotice error={error} />}
          <p>
            <label>
              Amount ({target.currency.toUpperCase()}, empty for all that is left){' '}
              <input
                value={amount}
                inputMode="decimal"
                aria-invalid={badAmount ? true : undefined}
                onChange={(e) => setAmount(e.target.value)}
              />
            </label>
          </p>
          {target.kind === 'credit' && (
            <p>
              <label>
                Reason{' '}
                <select
                  value={creditReason}
                  onChange={(e) => setCreditReason(e.target.value as CreditReason)}
                >
                  {CREDIT_REASONS.map((r) => (
                    <option key={r} value={r}>
                      {r.replace(/_/g, ' ')}
                    </option>
                  ))}
                </select>
              </label>
            </p>
          )}
          <p>
            <label>
              {target.kind === 'refund'
                ? 'Reason (kept in the audit log)'
                : 'Memo (shown on the credit note)'}{' '}
              <input
                value={reason}
                maxLength={500}
                required={target.kind === 'refund'}
                onChange={(e) => setReason(e.target.value)}
              />
            </label>
          </p>
          {badAmount && (
            <p className="small">
              Give an amount such as 12.50, at most {money(target.left, target.currency)}.
            </p>
          )}
          <button type="submit" className="danger" disabled={busy || Boolean(badAmount)}>
            {busy ? 'Working…' : 'Confirm'}
          </button>{' '}
          <button type="button" className="secondary" onClick={() => setTarget(null)}>
            Back
          </button>
        </form>
      )}
    </Card>
  );
}
