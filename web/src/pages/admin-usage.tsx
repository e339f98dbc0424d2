import { useMemo, useState } from 'react';
import { api, call } from '../api/client';
import { Card, Loaded, Page, Table } from '../components';
import { useLoad } from '../data';
import { count, dateTime } from '../format';
import { SeriesChart } from '../series-chart';
import { QuotaDenials, RollupStatus } from './admin-usage-health';

/**
 * Usage across all customers: events per day by type, quota denials per day, the rollup's state (its
 * backlog and lag, and the workflow's own account), and today's heaviest users.
 */
export function AdminUsage() {
  const [days, setDays] = useState(30);
  const stats = useLoad(
    () =>
      call(
        api.GET('/api/v1/admin/subscriptions/analytics/usage-stats', {
          params: { query: { days, top: 10 } },
        }),
      ),
    `admin-usage-${days}`,
  );
  const chart = useMemo(() => {
    const s = stats.data;
    const types = Object.keys(s?.totals_by_type ?? {});
    // Every day of the range, quiet ones as zero, so the chart spans the range asked for.
    const byDay = new Map((s?.by_day ?? []).map((d) => [d.day, d]));
    const daysInRange: string[] = [];
    if (s) {
      for (
        let t = Date.parse(`${s.since}T00:00:00Z`);
        t <= Date.parse(`${s.today}T00:00:00Z`);
        t += 86_400_000
      ) {
        daysInRange.push(new Date(t).toISOString().slice(0, 10));
      }
    }
    return {
      times: daysInRange.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000),
      labels: daysInRange,
      series: types.map((t) => ({
        label: t,
        values: daysInRange.map((d) => Number(byDay.get(d)?.[t] ?? 0)),
      })),
      any: byDay.size > 0,
    };
  }, [stats.data]);
  const units = useMemo(() => (n: number) => count(Math.round(n)), []);

  return (
    <Page title="Usage" wide>
      <Loaded state={stats} what="usage">
        {(s) => {
          const backlog = s.rollup_backlog;
          return (
            <>
              <div className="filters">
                <label>
                  Days{' '}
                  <select value={days} onChange={(e) => setDays(Number(e.target.value))}>
                    <option value={7}>Last 7 days</option>
                    <option value={30}>Last 30 days</option>
                    <option value={90}>Last 90 days</option>
                  </select>
                </label>
              </div>
              <dl className="figures">
                <div className="card figure">
                  <dt>Events since {s.since}</dt>
                  <dd className="big" data-testid="usage-total">
                    {count(s.total)}
                  </dd>
                  <dd className="small muted">Units reported through report_usage, BYOK calls excluded.</dd>
                </div>
                <div className="card figure">
                  <dt>Not rolled up yet</dt>
                  <dd className="big" data-testid="usage-backlog">
                    {count(backlog.events_not_rolled_up)}
                  </dd>
                  <dd className="small muted">
                    {backlog.oldest_unrolled_event_at
                      ? `Oldest from ${dateTime(backlog.oldest_unrolled_event_at)}.`
                      : 'Every event is in a rollup.'}{' '}
                    Rollups waiting for Stripe: {count(backlog.rollups_not_in_stripe)}; for Lago:{' '}
                    {count(backlog.rollups_not_in_lago)}.
                  </dd>
                </div>
              </dl>
              <Card id="per-day" title="Events per day by type">
                {!chart.any ? (
                  <p className="muted">No usage in this range.</p>
                ) : (
                  <SeriesChart
                    title="Usage events per day by type"
                    times={chart.times}
                    labels={chart.labels}
                    series={chart.series}
                    format={units}
                    whole
                    bars
                  />
                )}
              </Card>
              <QuotaDenials days={days} />
              <RollupStatus />
              <Card id="top" title="Top customers today">
                {s.top_customers_today.length === 0 ? (
                  <p className="muted">Nobody has reported usage today.</p>
                ) : (
                  <Table
                    label="Top customers today"
                    columns={['Customer', { label: 'Units today', num: true }]}
                  >
                    {s.top_customers_today.map((c) => (
                      <tr key={c.customer_id}>
                        <th scope="row">{c.email}</th>
                        <td className="num">{count(c.used)}</td>
                      </tr>
                    ))}
                  </Table>
                )}
              </Card>
            </>
          );
        }}
      </Loaded>
    </Page>
  );
}
