import { useMemo } from 'react';
import { api, call } from '../api/client';
import { Card, Loaded, Notice } from '../components';
import { useLoad } from '../data';
import { count, dateTime } from '../format';
import { SeriesChart } from '../series-chart';

const units = (n: number) => count(Math.round(n));

/** "3 min", "2 h 5 min", "4 d 3 h": how far behind something is. */
function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** Requests refused because the daily quota was spent, per day, on report_usage and on check-access. */
export function QuotaDenials({ days }: { days: number }) {
  const denials = useLoad(
    () => call(api.GET('/api/v1/admin/usage/quota-denials', { params: { query: { days } } })),
    `admin-quota-denials-${days}`,
  );
  const chart = useMemo(() => {
    const d = denials.data?.days ?? [];
    return {
      times: d.map((x) => Date.parse(`${x.day}T00:00:00Z`) / 1000),
      labels: d.map((x) => x.day),
      series: [
        { label: 'report_usage', values: d.map((x) => x.report) },
        { label: 'check-access', values: d.map((x) => x.check_access) },
      ],
    };
  }, [denials.data]);
  return (
    <Card id="denials" title="Quota denials">
      <Loaded state={denials} what="quota denials">
        {(data) => (
          <>
            <p>
              <strong data-testid="quota-denials-total">{count(data.total)}</strong>{' '}
              {data.total === 1 ? 'request' : 'requests'} refused since {data.since} because the
              customer&rsquo;s daily quota was spent
              {Object.keys(data.by_plan).length > 0 &&
                ` (${Object.entries(data.by_plan)
                  .map(([plan, n]) => `${plan}: ${count(n)}`)
                  .join(', ')})`}
              .
            </p>
            {data.total > 0 && (
              <SeriesChart
                title="Quota denials per day"
                times={chart.times}
                labels={chart.labels}
                series={chart.series}
                format={units}
                whole
                bars
              />
            )}
          </>
        )}
      </Loaded>
    </Card>
  );
}

const loadRollupStatus = () => call(api.GET('/api/v1/admin/usage/rollup-status'));
type RollupState = Awaited<ReturnType<typeof loadRollupStatus>>;

/** The rollup's state: from the database (last rollup, lag, what waits) and from the workflow itself. */
export function RollupStatus() {
  const status = useLoad(loadRollupStatus, 'admin-rollup-status');
  return (
    <Card id="rollup" title="Rollup">
      <Loaded state={status} what="the rollup's state">
        {(s) => <RollupFacts s={s} />}
      </Loaded>
    </Card>
  );
}

function RollupFacts({ s }: { s: RollupState }) {
  const w = s.workflow;
  return (
    <>
      <dl className="facts" data-testid="rollup-status">
        <dt>Last rollup written</dt>
        <dd>{s.last_rollup_at ? dateTime(s.last_rollup_at) : 'None yet'}</dd>
        <dt>Lag</dt>
        <dd data-testid="rollup-lag">
          {s.events_not_rolled_up === 0
            ? 'None: every event is in a rollup'
            : `${duration(s.lag_seconds)} (${count(s.events_not_rolled_up)} events waiting, the oldest from ${dateTime(s.oldest_unrolled_event_at)})`}
        </dd>
        <dt>Waiting for Stripe / Lago</dt>
        <dd>
          {count(s.rollups_not_in_stripe)} / {count(s.rollups_not_in_lago)} rollups
          {s.oldest_unreported_rollup_at
            ? `, the oldest from ${dateTime(s.oldest_unreported_rollup_at)}`
            : ''}
        </dd>
        {w.reachable && (
          <>
            <dt>Workflow</dt>
            <dd data-testid="rollup-workflow">
              {w.status}, this run since {dateTime(w.run_started_at)}; {count(w.cycles)} cycles,{' '}
              {count(w.events)} events in {count(w.rollups)} rollups
            </dd>
            <dt>Last cycle</dt>
            <dd>{w.last_cycle_at ? dateTime(w.last_cycle_at) : 'Not finished yet'}</dd>
            <dt>Failures</dt>
            <dd data-testid="rollup-failures">
              {w.failed_cycles === 0
                ? 'None'
                : `${count(w.failed_cycles)} cycles, the last ${dateTime(w.last_failure_at)}: ${w.last_error ?? ''}`}
            </dd>
          </>
        )}
      </dl>
      {!w.reachable && <Notice kind="warning">{w.error}</Notice>}
    </>
  );
}
