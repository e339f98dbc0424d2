import { useEffect, useState, type FormEvent } from 'react';
import { api, call } from '../api/client';
import { ErrorNotice, Notice, Table } from '../components';
import { useAction } from '../data';
import { count } from '../format';
import { Submit } from '../form-kit';

type Line = Record<string, unknown>;

type CurrencyPrice = {
  price_monthly_cents: number;
  price_yearly_cents: number | null;
  overage_price_per_1k_cents: number;
  rate_card: Line[];
};

interface Tier {
  up_to: number | null;
  unit_amount_decimal: string;
  flat_amount_cents?: number;
}

/** A line's price in words: what a unit costs, and a million of them when that reads better. */
function priceText(price: unknown): string {
  const p = (price ?? {}) as {
    model?: string;
    unit_amount_decimal?: string;
    package_size?: number;
    amount_cents?: number;
    tiers?: Tier[];
  };
  const perUnit = (d: string) => {
    const perMillion = Number(d) * 1_000_000;
    return Number(d) < 0.01 ? `${d}¢ a unit (${count(Math.round(perMillion))}¢ a million)` : `${d}¢ a unit`;
  };
  switch (p.model) {
    case 'per_unit':
      return perUnit(p.unit_amount_decimal ?? '0');
    case 'package':
      return `${count(p.amount_cents ?? 0)}¢ per ${count(p.package_size ?? 0)} units`;
    case 'graduated':
    case 'volume':
      return `${p.model}: ${(p.tiers ?? [])
        .map((t) => `${t.up_to === null ? 'then' : `to ${count(t.up_to)}`} ${perUnit(t.unit_amount_decimal)}`)
        .join('; ')}`;
    default:
      return '—';
  }
}

/** What the editor holds: the card, or with other currencies the cards by currency (all published at once). */
const editable = (cards: Record<string, Line[]>, base: string) =>
  JSON.stringify(Object.keys(cards).length > 1 ? cards : cards[base], null, 2);

/** The cards written in the editor, by currency, or why they are not cards of the plan's currencies. */
function readCards(text: string, currencies: string[]): Record<string, Line[]> | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return (err as Error).message;
  }
  if (currencies.length === 1) {
    return Array.isArray(parsed)
      ? { [currencies[0] as string]: parsed as Line[] }
      : 'the card is a list of lines: [ … ]';
  }
  const byCurrency = parsed as Record<string, unknown>;
  const named = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed);
  if (
    !named ||
    currencies.some((c) => !Array.isArray(byCurrency[c])) ||
    Object.keys(byCurrency).length !== currencies.length
  )
    return `give a card for each of ${currencies.map((c) => c.toUpperCase()).join(', ')}: {"${currencies[0]}": [ … ], …}`;
  return byCurrency as Record<string, Line[]>;
}

/**
 * A plan's rate card in each currency it is sold in: its lines, and the cards as JSON to edit and publish
 * (the API's own shape, so a card read back can be sent again). A plan sold in several currencies has its
 * cards edited together, as they must price the same lines. The engine checks them: a line at fault is
 * named, and one selling a model below its cost plus the margin floor is refused unless a reason is given.
 */
export function PlanRateCard({
  plan,
  onSaved,
}: {
  plan: {
    id: string;
    currency: string;
    rate_card: Line[];
    currency_prices: Record<string, CurrencyPrice>;
  };
  onSaved(): void | Promise<void>;
}) {
  const cards: Record<string, Line[]> = {
    [plan.currency]: plan.rate_card,
    ...Object.fromEntries(Object.entries(plan.currency_prices).map(([c, p]) => [c, p.rate_card])),
  };
  const currencies = Object.keys(cards);
  const [currency, setCurrency] = useState(plan.currency);
  const [text, setText] = useState(editable(cards, plan.currency));
  const [reason, setReason] = useState('');
  const [parseError, setParseError] = useState<string | null>(null);
  const { busy, error, done, run } = useAction(onSaved);
  const lines = cards[currency] ?? [];
  // The plan read again (a card published, a currency added): the editor starts from what is stored.
  const stored = editable(cards, plan.currency);
  useEffect(() => setText(stored), [stored]);

  const save = (e: FormEvent) => {
    e.preventDefault();
    const written = readCards(text, currencies);
    if (typeof written === 'string') {
      setParseError(`Not a card: ${written}`);
      return;
    }
    setParseError(null);
    const override = reason.trim() ? { margin_override_reason: reason.trim() } : {};
    const others = Object.fromEntries(
      Object.entries(plan.currency_prices).map(([c, p]) => [c, { ...p, rate_card: written[c] ?? [] }]),
    );
    void run(async () => {
      await call(
        api.PUT('/api/v1/subscriptions/plans/{plan_id}', {
          params: { path: { plan_id: plan.id } },
          body: {
            rate_card: written[plan.currency] ?? [],
            ...(currencies.length > 1 && { currency_prices: others }),
            ...override,
          },
        }),
      );
      setReason('');
      return currencies.length > 1
        ? `The rate cards of ${plan.id} in ${currencies.map((c) => c.toUpperCase()).join(', ')} are published.`
        : `The rate card of ${plan.id} in ${plan.currency.toUpperCase()} is published.`;
    });
  };

  const field = error?.details?.field;
  return (
    <section className="card" aria-labelledby="rate-card-heading">
      <h2 id="rate-card-heading">Rate card of {plan.id}</h2>
      <p className="muted">
        Lines price usage by type and by the events&rsquo; metadata (<code>model</code>,{' '}
        <code>direction</code>
        …). A line matching <code>direction</code> on a token kind (<code>input</code>, <code>cached</code>,{' '}
        <code>output</code>, <code>reasoning</code>) bills that kind of a call&rsquo;s token counts.
      </p>
      {done && <Notice kind="success">{done}</Notice>}
      {error && <ErrorNotice error={error} />}
      {error && typeof field === 'string' && (
        <p className="small" data-testid="rate-card-field">
          At fault: <code>{field}</code>
        </p>
      )}
      {currencies.length > 1 && (
        <label>
          Lines in{' '}
          <select value={currency} onChange={(e) => setCurrency(e.target.value)}>
            {currencies.map((c) => (
              <option key={c} value={c}>
                {c.toUpperCase()}
              </option>
            ))}
          </select>
        </label>
      )}
      {lines.length === 0 ? (
        <p className="muted">
          No lines: usage is priced by the plan&rsquo;s credits and overage price alone.
        </p>
      ) : (
        <Table
          label={`Rate card of ${plan.id} in ${currency.toUpperCase()}`}
          columns={['Line', { label: 'Included', num: true }, 'Price']}
        >
          {lines.map((l, i) => (
            <tr key={`${String(l.key)}-${i}`}>
              <th scope="row">
                <code>{String(l.key ?? l.usage_type)}</code>
              </th>
              <td className="num">{count(Number(l.included ?? 0))}</td>
              <td>{priceText(l.price)}</td>
            </tr>
          ))}
        </Table>
      )}
      <form className="form" onSubmit={save} aria-label={`Edit the rate card of ${plan.id}`}>
        <label>
          {currencies.length > 1 ? 'The cards by currency (JSON)' : 'The card (JSON)'}
          <textarea
            className="code"
            rows={Math.min(24, Math.max(6, text.split('\n').length + 1))}
            value={text}
            spellCheck={false}
            onChange={(e) => setText(e.target.value)}
          />
        </label>
        {parseError && (
          <p className="notice error" role="alert">
            {parseError}
          </p>
        )}
        <label>
          Why sell below the margin floor (only if you mean to; kept in the audit log)
          <input value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} />
        </label>
        <Submit disabled={busy}>
          {currencies.length > 1 ? 'Publish the cards' : `Publish the card in ${plan.currency.toUpperCase()}`}
        </Submit>
      </form>
    </section>
  );
}
