import { useMemo } from 'react';
import { api, call } from '../api/client';
import { Card, Empty, Loaded } from '../components';
import { useLoad } from '../data';
import { count, date, dateTime, money } from '../format';
import { Link } from '../router';
import { SeriesChart } from '../series-chart';
import { AuditTable } from '../audit-table';

const units = (n: number) => count(Math.round(n));

const loadUsage = (email: string) =>
  call(api.GET('/api/v1/admin/billing/customers/{email}/usage', { params: { path: { email } } }));

/** The customer's usage this period: per day and type (one request), against the plan's included credits. */
export function CustomerUsage({ email, round }: { email: string; round: number }) {
  const usage = useLoad(() => loadUsage(email), `admin-customer-usage-${email}`, round);
  return (
    <Card id="usage" title="Usage this period">
      <Loaded state={usage} what="usage">
        {(data) => <UsageThisPeriod usage={data} />}
      </Loaded>
    </Card>
  );
}

function UsageThisPeriod({ usage: u }: { usage: Awaited<ReturnType<typeof loadUsage>> }) {
  const chart = useMemo(() => {
    const days = u.by_day.map((d) => d.day);
    return {
      times: days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000),
      labels: days,
      series: u.types.map((t) => ({ label: t, values: u.by_day.map((d) => Number(d[t] ?? 0)) })),
      any: u.by_day.some((d) => d.total > 0),
    };
  }, [u]);
  return (
    <>
      <dl className="facts">
        <dt>Period</dt>
        <dd>
          {date(u.period_start)} – {date(u.period_end)}
        </dd>
        <dt>Billable units</dt>
        <dd data-testid="customer-usage-used">
          {count(u.used)} of {count(u.included_credits)} included
        </dd>
        <dt>Overage</dt>
        <dd>
          {count(u.overage)} units, {money(u.overage_cost_cents, u.currency)}
        </dd>
        <dt>On the customer&rsquo;s own keys</dt>
        <dd>{count(Object.values(u.byok_by_type).reduce((a, n) => a + n, 0))} units</dd>
      </dl>
      {chart.any ? (
        <SeriesChart
          title="Customer usage per day by type"
          times={chart.times}
          labels={chart.labels}
          series={chart.series}
          format={units}
          bars
        />
      ) : (
        <p className="muted">No usage counted this period.</p>
      )}
    </>
  );
}

/** The customer's provider keys: which providers, and the last characters of each key; never a key. */
export function CustomerKeys({ email }: { email: string }) {
  const keys = useLoad(
    () =>
      call(api.GET('/api/v1/admin/billing/customers/{email}/provider-keys', { params: { path: { email } } })),
    `admin-customer-keys-${email}`,
  );
  return (
    <Card id="keys" title="Provider keys">
      <Loaded state={keys} what="provider keys">
        {(data) =>
          data.keys.length === 0 ? (
            <Empty>No key stored.</Empty>
          ) : (
            <ul className="plain" aria-label="Stored provider keys">
              {data.keys.map((k) => (
                <li key={k.provider}>
                  <strong>{k.provider_name}</strong> <code>{k.key_hint}</code>
                  <span className="small muted">
                    {' '}
                    added {date(k.created_at)}
                    {k.last_tested_at
                      ? `, tested ${dateTime(k.last_tested_at)}: ${k.last_test_result ?? '—'}`
                      : ''}
                  </span>
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
    </Card>
  );
}

/** The latest audit entries about this customer: their subscription, invoices, keys and usage resets. */
export function CustomerAudit({ email, round }: { email: string; round: number }) {
  const log = useLoad(
    () => call(api.GET('/api/v1/admin/audit-log', { params: { query: { customer: email, limit: 10 } } })),
    `admin-customer-audit-${email}`,
    round,
  );
  return (
    <Card id="audit" title="Audit entries">
      <Loaded state={log} what="audit entries">
        {(data) =>
          data.entries.length === 0 ? (
            <Empty>Nobody has changed anything of this customer&rsquo;s yet.</Empty>
          ) : (
            <>
              <AuditTable entries={data.entries} label="Audit entries about this customer" />
              {data.total > data.entries.length && (
                <p>
                  <Link href={`/admin/audit?customer=${encodeURIComponent(email)}`}>
                    All {count(data.total)} entries
                  </Link>
                </p>
              )}
            </>
          )
        }
      </Loaded>
    </Card>
  );
}
