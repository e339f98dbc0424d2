import { CurrencyReport } from './admin-currency-report';
import { CommitmentRevenue } from './admin-commitment-revenue';
import { UsageRevenue } from './admin-usage-revenue';
import { useEffect, useMemo, useState } from 'react';
import { api, call } from '../api/client';
import { Card, ErrorNotice, Loaded, Loading, Page, Select, Table } from '../components';
import { useLoad } from '../data';
import { count, money } from '../format';
import { SeriesChart } from '../series-chart';

type Range = '30d' | '90d' | '12m';
const RANGES: { id: Range; label: string; interval: 'day' | 'month'; days: number }[] = [
  { id: '30d', label: 'Last 30 days, by day', interval: 'day', days: 30 },
  { id: '90d', label: 'Last 90 days, by day', interval: 'day', days: 90 },
  { id: '12m', label: 'Last 12 months, by month', interval: 'month', days: 365 },
];

const isoDay = (d: Date) => d.toISOString().slice(0, 10);
const percent = (v: number | null) => (v == null ? '—' : `${(v * 100).toFixed(1)} %`);

/** One figure with what it means (the definitions docs/revenue.md gives) and how it moved. */
function Figure({
  label,
  value,
  change,
  definition,
}: {
  label: string;
  value: string;
  change?: string;
  definition: string;
}) {
  return (
    <div className="card figure">
      <dt>{label}</dt>
      <dd className="big" data-testid={`figure-${label}`}>
        {value}
      </dd>
      {change && <dd className="muted">{change}</dd>}
      <dd className="small muted">{definition}</dd>
    </div>
  );
}

/** The operator's morning view: revenue figures, MRR over time and its movements, and revenue by plan. */
export function AdminOverview() {
  const [range, setRange] = useState<Range>('30d');
  // The API's default; every request of the page asks for the chosen one.
  const [currency, setCurrency] = useState('usd');
  const r = RANGES.find((x) => x.id === range)!;
  const revenue = useLoad(
    () => call(api.GET('/api/v1/admin/revenue', { params: { query: { currency } } })),
    `admin-revenue-${currency}`,
  );
  // The book's currencies, kept from the last answer so the selector stays while another one loads.
  const [known, setKnown] = useState<string[]>([]);
  const listed = revenue.data?.currencies;
  useEffect(() => {
    if (listed) setKnown(listed);
  }, [listed]);
  const byTier = useLoad(
    () =>
      call(
        api.GET('/api/v1/admin/subscriptions/analytics/revenue-by-tier', { params: { query: { currency } } }),
      ),
    `admin-tiers-${currency}`,
  );
  const span = () => {
    const to = new Date();
    const from = new Date(to.getTime() - r.days * 86_400_000);
    return { query: { interval: r.interval, from: isoDay(from), to: isoDay(to), currency } };
  };
  const series = useLoad(
    () => call(api.GET('/api/v1/admin/revenue/timeseries', { params: span() })),
    `admin-series-${range}-${currency}`,
  );
  const moves = useLoad(
    () => call(api.GET('/api/v1/admin/revenue/movements', { params: span() })),
    `admin-movements-${range}-${currency}`,
  );

  const cur = currency;
  // The chosen currency is offered even when the book has none of it (the default on a book in euros, say).
  const currencies = [...new Set([...known, currency])].sort();
  const currencyPicker =
    currencies.length > 1 ? (
      <div className="filters">
        <Select
          label="Currency"
          value={currency}
          options={currencies.map((c) => ({ value: c, label: c.toUpperCase() }))}
          onChange={setCurrency}
        />
      </div>
    ) : null;
  const fmt = useMemo(() => (cents: number) => money(cents, cur), [cur]);
  const chart = useMemo(() => {
    const points = series.data?.points ?? [];
    return {
      times: points.map((p) => Date.parse(p.start) / 1000),
      labels: points.map((p) => p.period),
      mrr: [{ label: 'MRR', values: points.map((p) => p.mrr_cents) }],
      flows: [
        // In the chart's colour order: blue, green, red.
        { label: 'Collected', values: points.map((p) => p.collected_cents) },
        { label: 'Net revenue', values: points.map((p) => p.net_revenue_cents) },
        { label: 'Churned MRR', values: points.map((p) => p.churned_mrr_cents) },
      ],
    };
  }, [series.data]);
  const movementChart = useMemo(() => {
    const points = moves.data?.points ?? [];
    // 0 − x rather than −1 × x, which would make −0 of a zero and show it as "−$0.00".
    const of = (pick: (p: (typeof points)[number]) => number, below = false) =>
      points.map((p) => (below ? 0 - pick(p) : pick(p)));
    return {
      times: points.map((p) => Date.parse(p.start) / 1000),
      labels: points.map((p) => p.period),
      // Gains above 0, losses below it.
      series: [
        { label: 'New', color: '#1b7f3b', values: of((p) => p.new.mrr_cents) },
        { label: 'Expansion', color: '#1f4fbf', values: of((p) => p.expansion.mrr_cents) },
        { label: 'Reactivation', color: '#00696f', values: of((p) => p.reactivated.mrr_cents) },
        { label: 'Contraction', color: '#8a4b08', values: of((p) => p.contraction.mrr_cents, true) },
        { label: 'Churn', color: '#b3261e', values: of((p) => p.churned.mrr_cents, true) },
      ],
    };
  }, [moves.data]);

  if (revenue.error) {
    return (
      <Page title="Revenue" wide>
        <ErrorNotice error={revenue.error} retry={revenue.reload} />
      </Page>
    );
  }
  if (!revenue.data) {
    return (
      <Page title="Revenue" wide>
        {currencyPicker}
        <Loading what="the revenue figures" />
      </Page>
    );
  }
  const v = revenue.data;
  const m = v.movements;
  const first = series.data?.points[0];
  const mrrChange = first ? v.mrr_cents - first.mrr_cents : null;
  const subsChange = first ? v.active_subscriptions - first.active_subscriptions : null;
  const signed = (n: number, f: (x: number) => string) =>
    `${n >= 0 ? '+' : '−'}${f(Math.abs(n))} over the range below`;
  return (
    <Page title="Revenue" wide>
      {currencyPicker}
      <p className="muted">
        Figures in {cur.toUpperCase()}, computed {new Date(v.as_of).toLocaleTimeString()}; the month is{' '}
        {m.month}.
      </p>
      <dl className="figures">
        <Figure
          label="MRR"
          value={fmt(v.mrr_cents)}
          change={mrrChange == null ? undefined : signed(mrrChange, fmt)}
          definition="Σ of paying subscriptions' yearly amounts (active or past due; monthly × 12) ÷ 12, rounded once, net of recurring coupons. Trials, paused and ended ones and metered overage add nothing."
        />
        <Figure
          label="ARR"
          value={fmt(v.arr_cents)}
          definition="Σ of paying subscriptions' yearly amounts."
        />
        <Figure
          label="Active subscriptions"
          value={count(v.active_subscriptions)}
          change={subsChange == null ? undefined : signed(subsChange, count)}
          definition="Subscriptions in a paying state (active or past due); trials are not counted."
        />
        <Figure
          label="ARPU"
          value={fmt(v.arpu_cents)}
          definition="ARR ÷ 12 ÷ customers with at least one paying subscription."
        />
        <Figure
          label="Churn"
          value={`${v.churn_percentage.toFixed(1)} %`}
          change={`${count(v.churned_subscriptions_30d)} of ${count(v.active_subscriptions_30d_ago)} in 30 days`}
          definition="Subscriptions paying 30 days ago and not now ÷ those paying 30 days ago. A pause and resume inside the window, or a trial that never converted, is not churn."
        />
        <Figure
          label="Revenue churn"
          value={fmt(m.churned.mrr_cents)}
          change={`${count(m.churned.customers)} customers in ${m.month}`}
          definition="MRR of customers whose MRR went to 0 between the end of last month and now."
        />
        <Figure
          label="NRR"
          value={percent(v.net_revenue_retention)}
          definition="(Starting ARR + expansion − contraction − churned) ÷ starting ARR, this month; none when nothing paid at its start."
        />
        <Figure
          label="Net revenue, 30 days"
          value={fmt(v.net_revenue_30d_cents)}
          change={`${fmt(v.recent_revenue_30d_cents)} collected, ${fmt(v.refunds_30d_cents)} refunded`}
          definition="Invoices paid in the last 30 days (gross collected, tax excluded) less refunds and credit notes made in them."
        />
        <Figure
          label="Discounts, 30 days"
          value={fmt(v.discounts_30d_cents)}
          definition="What coupons took off the invoices paid in the last 30 days: already out of what was collected, and MRR is net of recurring ones."
        />
      </dl>

      <div className="filters">
        <Select<Range>
          label="Charts' range"
          value={range}
          options={RANGES.map((x) => ({ value: x.id, label: x.label }))}
          onChange={setRange}
        />
      </div>

      <Card id="mrr" title="MRR over time">
        <Loaded state={series} what="the MRR series">
          {() => (
            <>
              <SeriesChart
                title="MRR at the end of each period"
                times={chart.times}
                labels={chart.labels}
                series={chart.mrr}
                format={fmt}
              />
              <SeriesChart
                title="Money collected, MRR churned and net revenue per period"
                times={chart.times}
                labels={chart.labels}
                series={chart.flows}
                format={fmt}
                bars
              />
            </>
          )}
        </Loaded>
      </Card>

      <Card id="movements" title="MRR movements">
        <p className="small muted">
          Per customer, their MRR at the end of each period against its start: from 0 is new (reactivation
          when they had paid before), to 0 is churn, up is expansion, down contraction. A customer who pauses
          and resumes inside a month moves on both days by day, and not at all in the month.
        </p>
        <Loaded state={moves} what="the MRR movements">
          {() => (
            <SeriesChart
              title="MRR movements per period"
              times={movementChart.times}
              labels={movementChart.labels}
              series={movementChart.series}
              format={fmt}
              stacked
            />
          )}
        </Loaded>
        <h3>This month, {m.month}</h3>
        <Table
          label="MRR movements"
          columns={['Movement', { label: 'MRR', num: true }, { label: 'Customers', num: true }]}
        >
          <tr>
            <th scope="row">Starting MRR</th>
            <td className="num">{fmt(m.starting_mrr_cents)}</td>
            <td />
          </tr>
          {(
            [
              ['New', m.new, 1],
              ['Expansion', m.expansion, 1],
              ['Reactivation', m.reactivated, 1],
              ['Contraction', m.contraction, -1],
              ['Churn', m.churned, -1],
            ] as const
          ).map(([label, mv, sign]) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              <td className="num">
                {sign < 0 && mv.mrr_cents > 0 ? '−' : '+'}
                {fmt(mv.mrr_cents)}
              </td>
              <td className="num">{count(mv.customers)}</td>
            </tr>
          ))}
          <tr>
            <th scope="row">Net new MRR</th>
            <td className="num">{fmt(m.net_new_mrr_cents)}</td>
            <td />
          </tr>
          <tr>
            <th scope="row">Ending MRR</th>
            <td className="num">{fmt(m.ending_mrr_cents)}</td>
            <td />
          </tr>
        </Table>
      </Card>

      <Card id="tiers" title="Revenue and subscribers by plan">
        <Loaded state={byTier} what="revenue by plan">
          {(data) => (
            <Table
              label="Revenue by plan"
              columns={[
                'Plan',
                { label: 'Paying', num: true },
                { label: 'Trialing', num: true },
                { label: 'MRR', num: true },
                { label: 'Share of MRR', num: true },
              ]}
            >
              {data.tiers.map((t) => (
                <tr key={t.tier}>
                  <th scope="row">{t.tier}</th>
                  <td className="num">{count(t.paying_subscriptions)}</td>
                  <td className="num">{count(t.trialing_subscriptions)}</td>
                  <td className="num">{fmt(t.mrr_cents)}</td>
                  <td className="num">{percent(t.share_of_mrr)}</td>
                </tr>
              ))}
            </Table>
          )}
        </Loaded>
      </Card>
      <UsageRevenue currency={cur} />
      <CommitmentRevenue currency={cur} />
      <CurrencyReport />
    </Page>
  );
}
