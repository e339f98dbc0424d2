import { useState } from 'react';
import { api, call } from '../api/client';
import { Empty, ErrorNotice, Loaded, Page } from '../components';
import { useLoad } from '../data';
import { count } from '../format';
import { useLocation } from '../router';
import { ExportButton, useCsvExport } from '../csv-export';
import { Pager, useCursorPages } from '../cursor-pages';
import { AuditTable } from '../audit-table';

type Filter = { entity_type: string; entity_id: string; customer: string; actor: string; action: string };
const FIELDS: { name: keyof Filter; label: string; max: number; placeholder?: string }[] = [
  { name: 'customer', label: 'Customer email', max: 254 },
  { name: 'actor', label: 'Actor', max: 254, placeholder: 'email or subject' },
  { name: 'action', label: 'Action', max: 64, placeholder: 'invoice.refund' },
  { name: 'entity_type', label: 'Object type', max: 32 },
  { name: 'entity_id', label: 'Object id', max: 128 },
];

/** The filter's fields that are set, as query parameters. */
function setFields(f: Filter): Partial<Filter> {
  return Object.fromEntries(Object.entries(f).filter(([, v]) => v !== '')) as Partial<Filter>;
}

/** Who changed what: the audit log, newest first, filtered by customer, actor, action or object; exported as CSV. */
export function AdminAudit() {
  const { query } = useLocation();
  const [typed, setTyped] = useState<Filter>({
    entity_type: '',
    entity_id: '',
    customer: query.get('customer') ?? '',
    actor: '',
    action: '',
  });
  const [filter, setFilter] = useState(typed);
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const log = useLoad(
    () =>
      call(
        api.GET('/api/v1/admin/audit-log', {
          params: { query: { limit: 50, ...setFields(filter), ...(cursor ? { cursor } : {}) } },
        }),
      ),
    `admin-audit-${JSON.stringify(filter)}-${cursor ?? ''}`,
  );
  const csv = useCsvExport(
    () =>
      `/api/v1/admin/audit-log/export?${new URLSearchParams(setFields(filter) as Record<string, string>)}`,
    'audit-log.csv',
  );
  return (
    <Page title="Audit log" wide>
      <form
        className="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter(
            Object.fromEntries(Object.entries(typed).map(([k, v]) => [k, v.trim()])) as unknown as Filter,
          );
          pages.restart();
        }}
      >
        {FIELDS.map((f) => (
          <label key={f.name}>
            {f.label}{' '}
            <input
              value={typed[f.name]}
              maxLength={f.max}
              placeholder={f.placeholder}
              onChange={(e) => setTyped({ ...typed, [f.name]: e.target.value })}
            />
          </label>
        ))}
        <button type="submit">Filter</button>
        <ExportButton csv={csv} />
      </form>
      {csv.error && <ErrorNotice error={csv.error} />}
      <Loaded state={log} what="the audit log">
        {(data) =>
          data.entries.length === 0 ? (
            <Empty>Nothing recorded yet.</Empty>
          ) : (
            <>
              <p className="muted" data-testid="audit-total">
                {count(data.total)} entries
              </p>
              <AuditTable entries={data.entries} label="Audit entries" />
              <Pager pages={pages} next={data.next_cursor} />
            </>
          )
        }
      </Loaded>
    </Page>
  );
}
