import { useState } from 'react';
import { api, type ApiError, call, download } from '../api/client';
import { Empty, ErrorNotice, Loading, Page } from '../components';
import { useLoad } from '../data';
import { count } from '../format';
import { useLocation } from '../router';
import { saveFile } from '../save-file';
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
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<ApiError | null>(null);
  const exportCsv = async () => {
    setExporting(true);
    setExportError(null);
    try {
      const q = new URLSearchParams(setFields(filter) as Record<string, string>);
      saveFile(await download(`/api/v1/admin/audit-log/export?${q}`), 'audit-log.csv');
    } catch (err) {
      setExportError(err as ApiError);
    } finally {
      setExporting(false);
    }
  };
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
        <button type="button" className="secondary" onClick={() => void exportCsv()} disabled={exporting}>
          {exporting ? 'Exporting…' : 'Export CSV'}
        </button>
      </form>
      {exportError && <ErrorNotice error={exportError} />}
      {log.error ? (
        <ErrorNotice error={log.error} retry={log.reload} />
      ) : !log.data ? (
        <Loading what="the audit log" />
      ) : log.data.entries.length === 0 ? (
        <Empty>Nothing recorded yet.</Empty>
      ) : (
        <>
          <p className="muted" data-testid="audit-total">
            {count(log.data.total)} entries
          </p>
          <AuditTable entries={log.data.entries} label="Audit entries" />
          <Pager pages={pages} next={log.data.next_cursor} />
        </>
      )}
    </Page>
  );
}
