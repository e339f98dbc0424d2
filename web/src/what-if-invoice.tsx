import { useState, type FormEvent } from 'react';
import { api, call } from './api/client';
import { Card, ErrorNotice } from './components';
import { useAttempt } from './data';
import { count, money } from './format';
import { InvoiceTotals } from './upcoming-invoice';

type Answer = Awaited<ReturnType<typeof ask>>;
const ask = (email: string, usage: { type: string; units: number; model?: string; direction?: string }) =>
  call(
    api.POST('/api/v1/admin/billing/customers/{email}/invoices/upcoming/what-if', {
      params: { path: { email } },
      body: { usage: [usage] },
    }),
  );

const TYPES = ['inference', 'embedding', 'tts', 'stt'];
/** The token kinds a rate card may price apart (its lines matching `direction`). */
const DIRECTIONS = ['input', 'cached', 'output', 'reasoning'];

/**
 * The console's what-if on a customer's next invoice: units of a type (a model, a token kind) on top of what
 * they used, rated as the rollup rates them and previewed by Stripe with the coupon and tax. Nothing is
 * stored.
 */
export function WhatIfInvoice({ email }: { email: string }) {
  const [units, setUnits] = useState('');
  const [type, setType] = useState('inference');
  const [model, setModel] = useState('');
  const [direction, setDirection] = useState('');
  const [answer, setAnswer] = useState<Answer | null>(null);
  const { busy, error, attempt } = useAttempt(() => {});
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void attempt(async () => {
      setAnswer(
        await ask(email, {
          type,
          units: Number(units),
          ...(model.trim() ? { model: model.trim() } : {}),
          ...(direction ? { direction } : {}),
        }),
      );
      return '';
    });
  };
  const u = answer?.invoice;
  return (
    <Card id="what-if" title="What if they use more" wide>
      {error && <ErrorNotice error={error} />}
      <form className="filters" aria-label="What if" onSubmit={submit}>
        <label>
          Units{' '}
          <input
            name="what-if-units"
            inputMode="numeric"
            pattern="[0-9]+"
            value={units}
            onChange={(e) => setUnits(e.target.value)}
            required
          />
        </label>
        <label>
          Of{' '}
          <select name="what-if-type" value={type} onChange={(e) => setType(e.target.value)}>
            {TYPES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label>
          Model{' '}
          <input
            name="what-if-model"
            value={model}
            onChange={(e) => setModel(e.target.value)}
            placeholder="any"
          />
        </label>
        <label>
          Tokens{' '}
          <select name="what-if-direction" value={direction} onChange={(e) => setDirection(e.target.value)}>
            <option value="">any kind</option>
            {DIRECTIONS.map((d) => (
              <option key={d}>{d}</option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={busy || !units.trim()}>
          Preview
        </button>
      </form>
      {answer && u && (
        <InvoiceTotals
          invoice={u}
          testId="what-if-totals"
          dueNote={
            answer.extra_cents > 0 ? `+${money(answer.extra_cents, u.currency)} of usage` : 'no more to pay'
          }
        >
          <dt>Usage this period</dt>
          <dd>
            {money(answer.usage_cost_before_cents, u.currency)} now,{' '}
            {money(answer.usage_cost_after_cents, u.currency)} with{' '}
            {count(answer.usage.reduce((n, x) => n + x.units, 0))} more units
          </dd>
        </InvoiceTotals>
      )}
    </Card>
  );
}
