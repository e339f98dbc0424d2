import { useMemo } from 'react';
import { api, call } from '../api/client';
import { Empty, ErrorNotice, Loading } from '../components';
import { useLoad } from '../data';
import { count, date, dateTime, money } from '../format';
import { Link } from '../router';
import { SeriesChart } from '../series-chart';
import { AuditTable } from '../audit-table';

const units = (n: number) => count(Math.round(n));

/** The customer's usage this period: per day and type (one request), against the plan's included credits. */
export function CustomerUsage({ email, round }: { email: string; round: number }) {
  const usage = useLoad(
    () => call(api.GET('/api/v1/admin/billing/customers/{email}/usage', { params: { path: { email } } })),
    `admin-customer-usage-${email}`,
    round,
  );
  const chart = useMemo(() => {
    const u = usage.data;
    if (!u) return null;
    const days = u.by_day.map((d) => d.day);
    return {
      times: days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000),
      labels: days,
      series: u.types.map((t) => ({ label: t, values: u.by_day.map((d) => Number(d[t] ?? 0)) })),
      any: u.by_day.some((d) => d.total > 0),
    };
  }, [usage.data]);
  return (
    <section className="card" aria-labelledby="usage-heading">
      <h2 id="usage-heading">Usage this period</h2>
      {usage.error ? (
        <ErrorNotice error={usage.error} retry={usage.reload} />
      ) : !usage.data || !chart ? (
        <Loading what="usage" />
      ) : (
        <>
          <dl className="facts">
            <dt>Period</dt>
            <dd>
              {date(usage.data.period_start)} – {date(usage.data.period_end)}
            </dd>
            <dt>Billable units</dt>
            <dd data-testid="customer-usage-used">
              {count(usage.data.used)} of {count(usage.data.included_credits)} included
            </dd>
            <dt>Overage</dt>
            <dd>
              {count(usage.data.overage)} units, {money(usage.data.overage_cost_cents, usage.data.currency)}
            </dd>
            <dt>On the customer&rsquo;s own keys</dt>
            <dd>{count(Object.values(usage.data.byok_by_type).reduce((a, n) => a + n, 0))} units</dd>
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
      )}
    </section>
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
    <section className="card" aria-labelledby="keys-heading">
      <h2 id="keys-heading">Provider keys</h2>
      {keys.error ? (
        <ErrorNotice error={keys.error} retry={keys.reload} />
      ) : !keys.data ? (
        <Loading what="provider keys" />
      ) : keys.data.keys.length === 0 ? (
        <Empty>No key stored.</Empty>
      ) : (
        <ul className="plain" aria-label="Stored provider keys">
          {keys.data.keys.map((k) => (
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
      )}
    </section>
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
    <section className="card" aria-labelledby="audit-heading">
      <h2 id="audit-heading">Audit entries</h2>
      {log.error ? (
        <ErrorNotice error={log.error} retry={log.reload} />
      ) : !log.data ? (
        <Loading what="audit entries" />
      ) : log.data.entries.length === 0 ? (
        <Empty>Nobody has changed anything of this customer&rsquo;s yet.</Empty>
      ) : (
        <>
          <AuditTable entries={log.data.entries} label="Audit entries about this customer" />
          {log.data.total > log.data.entries.length && (
            <p>
              <Link href={`/admin/audit?customer=${encodeURIComponent(email)}`}>
                All {count(log.data.total)} entries
              </Link>
            </p>
          )}
        </>
      )}
    </section>
  );
}
