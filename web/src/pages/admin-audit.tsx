import { useState } from 'react';
import { api, call } from '../api/client';
import { Empty, ErrorNotice, Loading, Page } from '../components';
import { useLoad } from '../data';
import { dateTime } from '../format';
import { Pager, useCursorPages } from '../cursor-pages';

/** Who changed what: the audit log, newest first, filtered by the object changed. */
export function AdminAudit() {
  const [typed, setTyped] = useState({ entity_type: '', entity_id: '' });
  const [filter, setFilter] = useState(typed);
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const log = useLoad(
    () =>
      call(
        api.GET('/api/v1/admin/audit-log', {
          params: {
            query: {
              limit: 50,
              ...(filter.entity_type ? { entity_type: filter.entity_type } : {}),
              ...(filter.entity_id ? { entity_id: filter.entity_id } : {}),
              ...(cursor ? { cursor } : {}),
            },
          },
        }),
      ),
    `admin-audit-${filter.entity_type}-${filter.entity_id}-${cursor ?? ''}`,
  );
  return (
    <Page title="Audit log" wide>
      <form
        className="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter({ entity_type: typed.entity_type.trim(), entity_id: typed.entity_id.trim() });
          pages.restart();
        }}
      >
        <label>
          Object type{' '}
          <input
            value={typed.entity_type}
            maxLength={32}
            onChange={(e) => setTyped({ ...typed, entity_type: e.target.value })}
          />
        </label>
        <label>
          Object id{' '}
          <input
            value={typed.entity_id}
            maxLength={128}
            onChange={(e) => setTyped({ ...typed, entity_id: e.target.value })}
          />
        </label>
        <button type="submit">Filter</button>
      </form>
      {log.error ? (
        <ErrorNotice error={log.error} retry={log.reload} />
      ) : !log.data ? (
        <Loading what="the audit log" />
      ) : log.data.entries.length === 0 ? (
        <Empty>Nothing recorded yet.</Empty>
      ) : (
        <>
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Audit entries">
            <table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">Action</th>
                  <th scope="col">Object</th>
                </tr>
              </thead>
              <tbody>
                {log.data.entries.map((e) => (
                  <tr key={e.id}>
                    <td>{dateTime(e.created_at)}</td>
                    <td>{e.actor_email ?? e.actor_id}</td>
                    <th scope="row">
                      <code>{e.action}</code>
                    </th>
                    <td>
                      {e.entity_type} <code>{e.entity_id}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager pages={pages} next={log.data.next_cursor} />
        </>
      )}
    </Page>
  );
}
