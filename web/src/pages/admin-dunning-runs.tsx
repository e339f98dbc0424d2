import { api, call } from '../api/client';
import { Card, Empty, Loaded, Notice, Table } from '../components';
import { useLoad } from '../data';
import { dateTime } from '../format';

/** The dunning runs in flight, each where it stands by its own query: the retry it waits for, suspension. */
export function DunningRuns() {
  const runs = useLoad(() => call(api.GET('/api/v1/admin/dunning-runs')), 'admin-dunning-runs');
  return (
    <Card id="dunning-runs" title="Dunning runs in flight">
      <Loaded state={runs} what="the dunning runs">
        {(data) =>
          !data.reachable ? (
            <Notice kind="warning">{data.error}</Notice>
          ) : data.runs.length === 0 ? (
            <Empty>No dunning run is in flight.</Empty>
          ) : (
            <Table
              label="Dunning runs"
              columns={['Invoice', 'Customer', 'Started', 'Where it stands', 'Next retry', 'Access']}
            >
              {data.runs.map((r) => (
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
            </Table>
          )
        }
      </Loaded>
    </Card>
  );
}
