import { useState, type FormEvent } from 'react';
import { api, type ApiError, call, download } from '../api/client';
import { saveFile } from '../save-file';
import { Empty, ErrorNotice, Loading, Page } from '../components';
import { useLoad } from '../data';
import { count, date } from '../format';
import { Link } from '../router';
import { Pager, useCursorPages } from '../cursor-pages';

type Sort = 'created' | '-created' | 'email' | '-email';

/** Every customer, searched by email, sorted and paged by the server (a cursor per page). */
export function AdminCustomers() {
  const [typed, setTyped] = useState('');
  const [email, setEmail] = useState('');
  const [sort, setSort] = useState<Sort>('-created');
  // The cursors of the pages before this one, so Previous goes back without the server keeping state.
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const list = useLoad(
    () =>
      call(
        api.GET('/api/v1/admin/billing/customers', {
          params: { query: { limit: 25, sort, ...(email ? { email } : {}), ...(cursor ? { cursor } : {}) } },
        }),
      ),
    `admin-customers-${sort}-${email}-${cursor ?? ''}`,
  );
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<ApiError | null>(null);
  const exportCsv = async () => {
    setExporting(true);
    setExportError(null);
    try {
      const query = new URLSearchParams({ sort, ...(email ? { email } : {}) });
      saveFile(await download(`/api/v1/admin/billing/customers/export?${query}`), 'customers.csv');
    } catch (err) {
      setExportError(err as ApiError);
    } finally {
      setExporting(false);
    }
  };
  const search = (e: FormEvent) => {
    e.preventDefault();
    setEmail(typed.trim());
    pages.restart();
  };
  return (
    <Page title="Customers" wide>
      <form className="filters" role="search" onSubmit={search}>
        <label>
          Email contains{' '}
          <input type="search" value={typed} onChange={(e) => setTyped(e.target.value)} maxLength={254} />
        </label>
        <label>
          Sort{' '}
          <select
            value={sort}
            onChange={(e) => {
              setSort(e.target.value as Sort);
              pages.restart();
            }}
          >
            <option value="-created">Newest first</option>
            <option value="created">Oldest first</option>
            <option value="email">Email A–Z</option>
            <option value="-email">Email Z–A</option>
          </select>
        </label>
        <button type="submit">Search</button>
        <button type="button" className="secondary" onClick={() => void exportCsv()} disabled={exporting}>
          {exporting ? 'Exporting…' : 'Export CSV'}
        </button>
      </form>
      {exportError && <ErrorNotice error={exportError} />}
      {list.error ? (
        <ErrorNotice error={list.error} retry={list.reload} />
      ) : !list.data ? (
        <Loading what="customers" />
      ) : list.data.customers.length === 0 ? (
        <Empty>No customer matches.</Empty>
      ) : (
        <>
          <p className="muted" data-testid="customer-total">
            {count(list.data.total)} customers{email ? ` whose email contains “${email}”` : ''}
          </p>
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Customers">
            <table>
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Name</th>
                  <th scope="col">Plan</th>
                  <th scope="col">Status</th>
                  <th scope="col">Stripe customer</th>
                  <th scope="col">Since</th>
                </tr>
              </thead>
              <tbody>
                {list.data.customers.map((c) => (
                  <tr key={c.customer_id}>
                    <th scope="row">
                      <Link href={`/admin/customer?email=${encodeURIComponent(c.email)}`}>{c.email}</Link>
                    </th>
                    <td>{c.name ?? '—'}</td>
                    <td>{c.metadata.tier ?? '—'}</td>
                    <td>{c.subscription_status ?? 'none'}</td>
                    <td>
                      <code>{c.stripe_customer_id ?? '—'}</code>
                    </td>
                    <td>{date(c.created)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager pages={pages} next={list.data.next_cursor} />
        </>
      )}
    </Page>
  );
}
