import { useState } from 'react';
import { api, type ApiError, call } from '../api/client';
import { Card, ErrorNotice, Notice, Select } from '../components';
import { useLoad } from '../data';
import { date, money } from '../format';
import { type Cycle, cycleOf } from '../plan-terms';

const CYCLES: { value: Cycle; label: string }[] = [
  { value: 'monthly', label: 'Monthly' },
  { value: 'yearly', label: 'Yearly' },
];

interface Sub {
  tier: string;
  status: string;
  interval: 'month' | 'year';
  currency: string;
  cancel_at_period_end: boolean;
  current_period_end: string | null;
}

type Preview = {
  when: 'now' | 'period_end';
  new_tier: string;
  credit_cents: number;
  charge_cents: number;
  amount_due_now_cents: number;
  next_amount_cents: number;
};

/**
 * What an operator does for a customer, each step confirmed before it is sent and audited by the API:
 * change plan (with Stripe's proration previewed), cancel or resume, pause or unpause, reset today's usage.
 */
export function CustomerActions({ email, sub, onChanged }: { email: string; sub: Sub; onChanged(): void }) {
  const plans = useLoad(() => call(api.GET('/api/v1/subscriptions/plans')), 'admin-actions-plans');
  const [tier, setTier] = useState('');
  const [cycle, setCycle] = useState(cycleOf(sub.interval));
  const [preview, setPreview] = useState<Preview | null>(null);
  const [confirming, setConfirming] = useState<{ label: string; run: () => Promise<unknown> } | null>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const path = { email };

  const attempt = async (fn: () => Promise<unknown>, after?: string) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      if (after) setDone(after);
      setConfirming(null);
      setPreview(null);
      setReason('');
      onChanged();
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const patch = (change: {
    tier?: string;
    billing_cycle?: Cycle;
    when?: 'now' | 'period_end';
    status?: 'active' | 'paused' | 'canceled';
    cancel_at_period_end?: boolean;
  }) =>
    call(
      api.PATCH('/api/v1/admin/subscriptions/{email}', {
        params: { path },
        body: { ...change, ...(reason.trim() ? { reason: reason.trim() } : {}) },
      }),
    );
  const askPreview = async () => {
    setBusy(true);
    setError(null);
    try {
      setPreview(
        await call(
          api.GET('/api/v1/admin/subscriptions/{email}/plan-change-preview', {
            params: { path, query: { tier_id: tier, billing_cycle: cycle } },
          }),
        ),
      );
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  /** A button that asks the operator to confirm (with a reason) before `run` is sent. */
  const askFirst = (text: string, label: string, run: () => Promise<unknown>) => (
    <button type="button" className="secondary" onClick={() => setConfirming({ label, run })}>
      {text}
    </button>
  );
  const live = !['canceled', 'expired', 'incomplete'].includes(sub.status);
  const others = (plans.data ?? []).filter((p) => p.id !== sub.tier || cycle !== cycleOf(sub.interval));

  return (
    <Card id="actions" title="Actions">
      {done && <Notice kind="success">{done}</Notice>}
      {error && <ErrorNotice error={error} />}
      {!live ? (
        <p className="muted">This subscription has ended; there is nothing to change.</p>
      ) : (
        <>
          <form
            className="filters"
            onSubmit={(e) => {
              e.preventDefault();
              void askPreview();
            }}
          >
            <Select
              label="New plan"
              value={tier}
              options={[
                { value: '', label: 'Choose…' },
                ...others.map((p) => ({ value: p.id, label: p.display_name })),
              ]}
              onChange={(v) => {
                setTier(v);
                setPreview(null);
              }}
              required
            />
            <Select
              label="Cycle"
              value={cycle}
              options={CYCLES}
              onChange={(v) => {
                setCycle(v);
                setPreview(null);
              }}
            />
            <button type="submit" className="secondary" disabled={busy || !tier}>
              Preview the change
            </button>
          </form>
          {preview && (
            <div className="summary" data-testid="admin-preview">
              <p>
                Moves to <strong>{preview.new_tier}</strong>{' '}
                {preview.when === 'now' ? 'now' : `at the period end, ${date(sub.current_period_end)}`}.
              </p>
              <dl className="facts">
                <dt>Credit for unused time</dt>
                <dd>{money(preview.credit_cents, sub.currency)}</dd>
                <dt>Charge for the rest of the period</dt>
                <dd>{money(preview.charge_cents, sub.currency)}</dd>
                <dt>Due now</dt>
                <dd>{money(preview.amount_due_now_cents, sub.currency)}</dd>
                <dt>Then each period</dt>
                <dd>{money(preview.next_amount_cents, sub.currency)}</dd>
              </dl>
              <button
                type="button"
                onClick={() =>
                  setConfirming({
                    label: `Change the plan to ${preview.new_tier}`,
                    run: () => patch({ tier, billing_cycle: cycle, when: preview.when }),
                  })
                }
              >
                Change the plan
              </button>
            </div>
          )}
          <p className="actions">
            {sub.cancel_at_period_end
              ? askFirst('Resume', 'Resume the subscription', () => patch({ status: 'active' }))
              : askFirst('Cancel at period end', 'Cancel at the period end', () =>
                  patch({ status: 'canceled', cancel_at_period_end: true }),
                )}
            {sub.status === 'paused'
              ? askFirst('Unpause', 'Unpause the subscription', () => patch({ status: 'active' }))
              : askFirst('Pause', 'Pause the subscription', () => patch({ status: 'paused' }))}
            {askFirst('Reset today’s usage', "Reset today's usage counters", () =>
              call(
                api.POST('/api/v1/admin/subscriptions/{email}/reset-usage', {
                  params: { path },
                  body: reason.trim() ? { reason: reason.trim() } : {},
                }),
              ),
            )}
          </p>
        </>
      )}
      {confirming && (
        <div className="notice warning" role="alertdialog" aria-labelledby="confirm-heading">
          <h3 id="confirm-heading">{confirming.label}?</h3>
          <p>It is recorded in the audit log under your name.</p>
          <label>
            Reason (kept in the audit log){' '}
            <input value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} />
          </label>{' '}
          <button
            type="button"
            className="danger"
            disabled={busy}
            onClick={() => void attempt(confirming.run, `${confirming.label}: done.`)}
          >
            {busy ? 'Working…' : 'Confirm'}
          </button>{' '}
          <button type="button" className="secondary" onClick={() => setConfirming(null)}>
            Back
          </button>
        </div>
      )}
    </Card>
  );
}
