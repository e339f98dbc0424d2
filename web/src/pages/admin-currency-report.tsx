import { useState, type FormEvent } from 'react';
import { api, call } from '../api/client';
import { Card, ErrorNotice, Loaded, Notice, Table } from '../components';
import { useAction, useLoad } from '../data';
import { money } from '../format';

/**
 * The book across its currencies: each one's MRR, ARR and the month's net revenue, and their sum in the
 * reporting currency at the rates set here (the engine never fetches a rate).
 */
export function CurrencyReport() {
  const rates = useLoad(() => call(api.GET('/api/v1/admin/billing/exchange-rates')), 'exchange-rates');
  const report = useLoad(() => call(api.GET('/api/v1/admin/revenue/reporting')), 'revenue-reporting');
  const reload = () => Promise.all([rates.reload(), report.reload()]).then(() => undefined);
  return (
    <Card id="currencies" title="All currencies, in the reporting currency">
      <Loaded state={report} what="the report across currencies">
        {(r) => (
          <>
            <p className="muted">
              Each currency converted once at its rate and rounded to the cent, then summed; month {r.month}.
            </p>
            {r.missing_rates.length > 0 && (
              <Notice kind="warning">
                No rate for {r.missing_rates.map((c) => c.toUpperCase()).join(', ')}: left out of the total.
              </Notice>
            )}
            <Table
              label="Revenue by currency"
              columns={[
                'Currency',
                'Rate',
                { label: 'MRR', num: true },
                { label: 'ARR', num: true },
                { label: 'Net revenue this month', num: true },
                { label: `MRR in ${r.reporting_currency.toUpperCase()}`, num: true },
              ]}
            >
              {r.by_currency.map((c) => (
                <tr key={c.currency} data-testid={`currency-${c.currency}`}>
                  <th scope="row">{c.currency.toUpperCase()}</th>
                  <td>{c.rate ?? 'not set'}</td>
                  <td className="num">{money(c.mrr_cents, c.currency)}</td>
                  <td className="num">{money(c.arr_cents, c.currency)}</td>
                  <td className="num">{money(c.net_revenue_cents, c.currency)}</td>
                  <td className="num">
                    {c.converted ? money(c.converted.mrr_cents, r.reporting_currency) : '—'}
                  </td>
                </tr>
              ))}
              <tr data-testid="currency-total">
                <th scope="row">Total</th>
                <td />
                <td className="num" colSpan={3}>
                  ARR {money(r.total.arr_cents, r.reporting_currency)} · net revenue{' '}
                  {money(r.total.net_revenue_cents, r.reporting_currency)}
                </td>
                <td className="num">
                  <strong>{money(r.total.mrr_cents, r.reporting_currency)}</strong>
                </td>
              </tr>
            </Table>
          </>
        )}
      </Loaded>
      <Loaded state={rates} what="the exchange rates">
        {(x) => <RatesForm rates={x} onSaved={reload} />}
      </Loaded>
    </Card>
  );
}

function RatesForm({
  rates,
  onSaved,
}: {
  rates: { reporting_currency: string; rates: Record<string, string>; currencies: string[] };
  onSaved(): void | Promise<void>;
}) {
  const { busy, error, done, run } = useAction(onSaved);
  const [reporting, setReporting] = useState(rates.reporting_currency);
  const [values, setValues] = useState<Record<string, string>>(rates.rates);
  const [adding, setAdding] = useState('');
  const listed = Object.keys(values).filter((c) => c !== reporting);
  const save = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const kept = Object.fromEntries(Object.entries(values).filter(([c, v]) => c !== reporting && v.trim()));
      await call(
        api.PUT('/api/v1/admin/billing/exchange-rates', {
          body: { reporting_currency: reporting, rates: kept },
        }),
      );
      return 'Exchange rates saved.';
    });
  };
  return (
    <form className="form" onSubmit={save} aria-label="Exchange rates">
      <h3>Exchange rates</h3>
      {done && <Notice kind="success">{done}</Notice>}
      {error && <ErrorNotice error={error} />}
      <label>
        Report revenue in{' '}
        <select value={reporting} onChange={(e) => setReporting(e.target.value)}>
          {rates.currencies.map((c) => (
            <option key={c} value={c}>
              {c.toUpperCase()}
            </option>
          ))}
        </select>
      </label>
      {listed.map((c) => (
        <label key={c}>
          1 {c.toUpperCase()} in {reporting.toUpperCase()}{' '}
          <input
            inputMode="decimal"
            pattern="[0-9]+(\.[0-9]{1,8})?"
            value={values[c] ?? ''}
            onChange={(e) => setValues({ ...values, [c]: e.target.value })}
          />
        </label>
      ))}
      <label>
        Add a rate for{' '}
        <select value={adding} onChange={(e) => setAdding(e.target.value)}>
          <option value="">—</option>
          {rates.currencies
            .filter((c) => c !== reporting && !(c in values))
            .map((c) => (
              <option key={c} value={c}>
                {c.toUpperCase()}
              </option>
            ))}
        </select>
      </label>
      {adding && (
        <button
          type="button"
          className="secondary"
          onClick={() => {
            setValues({ ...values, [adding]: '' });
            setAdding('');
          }}
        >
          Add {adding.toUpperCase()}
        </button>
      )}
      <button type="submit" disabled={busy}>
        Save the rates
      </button>
    </form>
  );
}
