import { useState, type FormEvent } from 'react';
import { api, call } from '../api/client';
import { Card, Empty, Loaded, Table } from '../components';
import { useAction, useLoad } from '../data';
import { count, money } from '../format';
import { ActionPage, FormCard, NumberField, Submit, TextField, useForm } from '../form-kit';

const thisMonth = () => new Date().toISOString().slice(0, 7);
const pct = (p: number | null) => (p === null ? '—' : `${p.toFixed(1)} %`);
interface Figures {
  revenue_cents: number;
  cost_cents: number;
  margin_cents: number;
  margin_percent: number | null;
}

/** A row's last four cells: revenue, cost, margin (a loss marked as one, beside its figure) and percent. */
function FigureCells({ f, currency }: { f: Figures; currency: string }) {
  return (
    <>
      <td className="num">{money(f.revenue_cents, currency)}</td>
      <td className="num">{money(f.cost_cents, currency)}</td>
      <td className={f.margin_cents < 0 ? 'num negative' : 'num'}>
        {money(f.margin_cents, currency)}
        {f.margin_cents < 0 ? ' (loss)' : ''}
      </td>
      <td className="num">{pct(f.margin_percent)}</td>
    </>
  );
}

/** The four columns FigureCells fills, the first named `revenue`. */
const figureColumns = (revenue: string) => [
  { label: revenue, num: true },
  { label: 'Cost', num: true },
  { label: 'Margin', num: true },
  { label: '%', num: true },
];

const blank = {
  model: '',
  provider: '',
  validFrom: '',
  input: '',
  cached: '',
  output: '',
  reasoning: '',
  reason: '',
};

/**
 * What model calls cost the platform and the margin they leave, for a month: totals, then per model, plan
 * and customer (worst first); below, each model's cost per million tokens today and a form to set a
 * negotiated rate from a day to come.
 */
export function AdminMargins() {
  const [month, setMonth] = useState(thisMonth());
  const margins = useLoad(
    () => call(api.GET('/api/v1/admin/revenue/margins', { params: { query: { month, limit: 50 } } })),
    `admin-margins-${month}`,
  );
  const costs = useLoad(() => call(api.GET('/api/v1/admin/model-costs')), 'admin-model-costs');
  const [form, setForm, field] = useForm(blank);
  // The notice waits for the reloaded rates, so the page never says a rate is set that its table lacks.
  const action = useAction(() => costs.reload());
  const override = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      const opt = (v: string) => (v.trim() === '' ? undefined : v.trim());
      await call(
        api.POST('/api/v1/admin/model-costs', {
          body: {
            model: form.model.trim(),
            provider: opt(form.provider),
            valid_from: opt(form.validFrom),
            input: form.input.trim(),
            output: form.output.trim(),
            cached: opt(form.cached),
            reasoning: opt(form.reasoning),
            reason: form.reason,
          },
        }),
      );
      setForm(blank);
      return `${form.model.trim()} is costed at the negotiated rate from ${form.validFrom || 'tomorrow'}.`;
    });
  };

  const [floor, setFloorForm, floorField] = useForm({ percent: '' });
  const setFloor = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      const set = await call(
        api.PUT('/api/v1/admin/model-costs/margin-floor', { body: { percent: Number(floor.percent) } }),
      );
      setFloorForm({ percent: '' });
      return `The margin floor is ${set.margin_floor_percent} %.`;
    });
  };

  return (
    <ActionPage title="Margins" action={action}>
      <Card id="margins-month" title="Month">
        <label>
          Month{' '}
          <input type="month" value={month} onChange={(e) => e.target.value && setMonth(e.target.value)} />
        </label>
      </Card>
      <Loaded state={margins} what="margins">
        {(m) => (
          <>
            <Card id="margin-totals" title={`Revenue, cost and margin in ${m.month}`}>
              <dl className="facts" data-testid="margin-totals">
                <dt>Revenue (invoices, net of discounts and tax)</dt>
                <dd>{money(m.totals.revenue_cents, m.currency)}</dd>
                <dt>Provider cost</dt>
                <dd>{money(m.totals.cost_cents, m.currency)}</dd>
                <dt>Margin</dt>
                <dd>
                  {money(m.totals.margin_cents, m.currency)} ({pct(m.totals.margin_percent)})
                </dd>
                <dt>On customers&rsquo; own keys (no cost)</dt>
                <dd>{count(m.totals.byok_units)} units</dd>
                <dt>Not costed</dt>
                <dd>{count(m.totals.uncosted_units)} units (no model, no rate, or no token kind)</dd>
              </dl>
              <p className="muted">
                In {m.currency.toUpperCase()}, the revenue reports&rsquo; currency: model costs (in USD) and
                bills in other currencies are converted at the exchange rates set on the{' '}
                <a href="/admin">Revenue</a> page.
              </p>
              {m.other_currency_customers > 0 && (
                <p className="muted" data-testid="margin-missing-rates">
                  {count(m.other_currency_customers)} customers billed in{' '}
                  {m.missing_rates.map((c) => c.toUpperCase()).join(', ')} are left out: set{' '}
                  {m.missing_rates.length > 1 ? 'their rates' : 'its rate'} on the Revenue page.
                </p>
              )}
            </Card>
            <Card id="margin-models" title="By model">
              <p className="muted">
                Usage billed is what the rate cards billed each model&rsquo;s usage in the billing periods
                that began in {m.month}; plan fees count in the plan and customer tables below.
              </p>
              {m.models.length === 0 ? (
                <Empty>No usage in {m.month}.</Empty>
              ) : (
                <Table
                  label="Margin by model"
                  columns={[
                    'Model',
                    { label: 'Tokens in / cached / out', num: true },
                    { label: 'Own keys', num: true },
                    ...figureColumns('Usage billed'),
                  ]}
                >
                  {m.models.map((row) => (
                    <tr key={row.model} data-testid={`margin-model-${row.model}`}>
                      <th scope="row">
                        {row.model}
                        {row.provider ? <span className="muted"> {row.provider}</span> : null}
                        {row.uncosted_units > 0 ? (
                          <span className="muted"> ({count(row.uncosted_units)} units not costed)</span>
                        ) : null}
                      </th>
                      <td className="num">
                        {count(row.tokens.input)} / {count(row.tokens.cached)} /{' '}
                        {count(row.tokens.output + row.tokens.reasoning)}
                      </td>
                      <td className="num">{count(row.byok_units)}</td>
                      <FigureCells f={row} currency={m.currency} />
                    </tr>
                  ))}
                </Table>
              )}
            </Card>
            <Card id="margin-plans" title="By plan">
              <Table
                label="Margin by plan"
                columns={['Plan', { label: 'Customers', num: true }, ...figureColumns('Revenue')]}
              >
                {m.plans.map((p) => (
                  <tr key={p.plan ?? ''}>
                    <th scope="row">{p.plan ?? 'no plan'}</th>
                    <td className="num">{count(p.customers)}</td>
                    <FigureCells f={p} currency={m.currency} />
                  </tr>
                ))}
              </Table>
            </Card>
            <Card
              id="margin-customers"
              title={`By customer, least margin first (${count(m.customer_count)} in all)`}
            >
              <Table label="Margin by customer" columns={['Customer', 'Plan', ...figureColumns('Revenue')]}>
                {m.customers.map((c) => (
                  <tr key={c.email}>
                    <th scope="row">{c.email}</th>
                    <td>{c.plan ?? '—'}</td>
                    <FigureCells f={c} currency={m.currency} />
                  </tr>
                ))}
              </Table>
            </Card>
          </>
        )}
      </Loaded>
      <Card id="model-costs" title="What each model costs, per million tokens">
        <Loaded state={costs} what="model costs">
          {(c) => (
            <Table
              label="Model costs in force today"
              columns={[
                'Model',
                'Since',
                { label: 'Input', num: true },
                { label: 'Cached', num: true },
                { label: 'Output', num: true },
                { label: 'Reasoning', num: true },
                'Next',
              ]}
            >
              {c.models.map((row) => (
                <tr key={row.model} data-testid={`model-cost-${row.model}`}>
                  <th scope="row">
                    {row.model}
                    {row.current?.source === 'override' ? <span className="muted"> negotiated</span> : null}
                  </th>
                  <td>{row.current?.valid_from ?? '—'}</td>
                  {(['input', 'cached', 'output', 'reasoning'] as const).map((k) => (
                    <td key={k} className="num">
                      {row.current ? `${row.current.rates[k]}¢` : '—'}
                    </td>
                  ))}
                  <td>
                    {row.scheduled
                      .map((s) => `${s.rates.input}¢ / ${s.rates.output}¢ from ${s.valid_from}`)
                      .join('; ') || '—'}
                  </td>
                </tr>
              ))}
            </Table>
          )}
        </Loaded>
      </Card>
      <FormCard id="margin-floor" title="Margin floor" onSubmit={setFloor}>
        <p className="muted" data-testid="margin-floor-now">
          {costs.data
            ? `A plan's rate card may not sell a model's tokens at less than ${costs.data.margin_floor_percent} % above their cost, unless published with a reason.`
            : ' '}
        </p>
        <NumberField
          label="Least margin (percent of the price)"
          decimals={1}
          required
          bind={floorField('percent')}
        />
        <Submit disabled={action.busy}>Set the floor</Submit>
      </FormCard>
      <FormCard id="model-cost-override" title="Set a negotiated rate" onSubmit={override}>
        <p className="muted">
          Cents per million tokens. It applies from a day to come (tomorrow unless later): usage already
          costed keeps its cost.
        </p>
        <TextField label="Model" required maxLength={100} bind={field('model')} />
        <TextField
          label="Provider (for a model the catalogue does not list)"
          maxLength={100}
          bind={field('provider')}
        />
        <TextField label="From (UTC day)" type="date" bind={field('validFrom')} />
        <NumberField label="Input" decimals={6} required bind={field('input')} />
        <NumberField label="Cached (default: input)" decimals={6} bind={field('cached')} />
        <NumberField label="Output" decimals={6} required bind={field('output')} />
        <NumberField label="Reasoning (default: output)" decimals={6} bind={field('reasoning')} />
        <TextField label="Why (kept in the audit log)" required maxLength={500} bind={field('reason')} />
        <Submit disabled={action.busy}>Set the rate</Submit>
      </FormCard>
    </ActionPage>
  );
}
