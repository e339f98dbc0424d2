import { api, call } from '../api/client';
import { Empty, ErrorNotice, Loading, Notice } from '../components';
import { useLoad } from '../data';
import { dateTime } from '../format';

/** The dunning runs in flight, each where it stands by its own query: the retry it waits for, suspension. */
export function DunningRuns() {
  const runs = useLoad(() => call(api.GET('/api/v1/admin/dunning-runs')), 'admin-dunning-runs');
  return (
    <section className="card" aria-labelledby="dunning-runs-heading">
      <h2 id="dunning-runs-heading">Dunning runs in flight</h2>
      {runs.error ? (
        <ErrorNotice error={runs.error} retry={runs.reload} />
      ) : !runs.data ? (
        <Loading what="the dunning runs" />
      ) : !runs.data.reachable ? (
        <Notice kind="warning">{runs.data.error}</Notice>
      ) : runs.data.runs.length === 0 ? (
        <Empty>No dunning run is in flight.</Empty>
      ) : (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Dunning runs">
          <table>
            <thead>
              <tr>
                <th scope="col">Invoice</th>
                <th scope="col">Customer</th>
                <th scope="col">Started</th>
                <th scope="col">Where it stands</th>
                <th scope="col">Next retry</th>
                <th scope="col">Access</th>
              </tr>
            </thead>
            <tbody>
              {runs.data.runs.map((r) => (
                <tr key={r.workflow_id}>
                  <th scope="row">
                    <code>{r.invoice_id}</code>
                  </th>
                  <td>{r.email ?? '—'}</td>
                  <td>{dateTime(r.started_at)}</td>
                  <td>
                    {r.attempt === null
                      ? 'did not answer'
                      : `retry ${r.attempt} of ${r.attempts}, ${r.retries_made} made`}
                  </td>
                  <td>{r.next_attempt_at ? dateTime(r.next_attempt_at) : '—'}</td>
                  <td>
                    {r.suspended === null
                      ? '—'
                      : r.suspended
                        ? 'suspended'
                        : `until ${dateTime(r.suspend_at)}`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
