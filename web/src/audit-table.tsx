import { Table } from './components';
import { dateTime } from './format';

/** One audit entry as the audit log answers it. */
export interface AuditRow {
  id: string;
  created_at: string;
  actor_email?: string | null;
  actor_id: string;
  action: string;
  entity_type: string;
  entity_id: string;
}

/** Audit entries as a table, the same on the audit log page and on a customer's page. */
export function AuditTable({ entries, label }: { entries: readonly AuditRow[]; label: string }) {
  return (
    <Table label={label} columns={['When', 'Who', 'Action', 'Object']}>
      {entries.map((e) => (
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
    </Table>
  );
}
