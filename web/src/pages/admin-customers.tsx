import { useState, type FormEvent } from 'react';
import { api, call } from '../api/client';
import type { paths } from '../api/openapi.gen';
import { ExportButton, useCsvExport } from '../csv-export';
import { Empty, ErrorNotice, Loaded, Page, Select, Table } from '../components';
import { useLoad } from '../data';
import { count, date } from '../format';
import { Link } from '../router';
import { Pager, useCursorPages } from '../cursor-pages';

type Sort = 'created' | '-created' | 'email' | '-email';
const SORTS: { value: Sort; label: string }[] = [
  { value: '-created', label: 'Newest first' },
  { value: 'created', label: 'Oldest first' },
  { value: 'email', label: 'Email A–Z' },
  { value: '-email', label: 'Email Z–A' },
];
type Status = NonNullable<paths['/api/v1/admin/billing/customers']['get']['parameters']['query']>['status'];

/** The status filter's choices: the live subscription's status, none, or how the last one ended. */
const STATUSES: { value: NonNullable<Status>; label: string }[] = [
  { value: 'active', label: 'Active' },
  { value: 'trialing', label: 'Trialing' },
  { value: 'past_due', label: 'Past due' },
  { value: 'suspended', label: 'Suspended' },
  { value: 'paused', label: 'Paused' },
  { value: 'incomplete', label: 'Incomplete' },
  { value: 'none', label: 'No live subscription' },
  { value: 'canceled', label: 'Ended: canceled' },
  { value: 'expired', label: 'Ended: expired' },
];

/**
 * Every customer, searched by email or a Stripe customer or subscription id, filtered by the live
 * subscription's plan and status, sorted and paged by the server (a cursor per page).
 */
export function AdminCustomers() {
  const [typed, setTyped] = useState('');
  const [search, setSearch] = useState('');
  const [tier, setTier] = useState('');
  const [status, setStatus] = useState<NonNullable<Status> | ''>('');
  const [sort, setSort] = useState<Sort>('-created');
  const plans = useLoad(() => call(api.GET('/api/v1/subscriptions/plans')), 'admin-customers-plans');
  // The list's filters, the same for every page and for the export.
  const filters = {
    ...(search ? { q: search } : {}),
    ...(tier ? { tier } : {}),
    ...(status ? { status } : {}),
  };
  // The cursors of the pages before this one, so Previous goes back without the server keeping state.
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const list = useLoad(
    () =>
      call(
        api.GET('/api/v1/admin/billing/customers', {
          params: { query: { limit: 25, sort, ...filters, ...(cursor ? { cursor } : {}) } },
        }),
      ),
    `admin-customers-${sort}-${search}-${tier}-${status}-${cursor ?? ''}`,
  );
  const csv = useCsvExport(
    () => `/api/v1/admin/billing/customers/export?${new URLSearchParams({ sort, ...filters })}`,
    'customers.csv',
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSearch(typed.trim());
    pages.restart();
  };
  return (
    <Page title="Customers" wide>
      <form className="filters" role="search" onSubmit={submit}>
        <label>
          Email or Stripe id{' '}
          <input
            type="search"
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            maxLength={254}
            placeholder="part of an email, cus_…, sub_…"
          />
        </label>
        <Select
          label="Plan"
          value={tier}
          options={[
            { value: '', label: 'Any plan' },
            ...(plans.data ?? []).map((p) => ({ value: p.id, label: p.display_name })),
          ]}
          onChange={(v) => {
            setTier(v);
            pages.restart();
          }}
        />
        <Select
          label="Status"
          value={status}
          options={[{ value: '', label: 'Any status' }, ...STATUSES]}
          onChange={(v) => {
            setStatus(v);
            pages.restart();
          }}
        />
        <Select
          label="Sort"
          value={sort}
          options={SORTS}
          onChange={(v) => {
            setSort(v);
            pages.restart();
          }}
        />
        <button type="submit">Search</button>
        <ExportButton csv={csv} />
      </form>
      {csv.error && <ErrorNotice error={csv.error} />}
      <Loaded state={list} what="customers">
        {(found) =>
          found.customers.length === 0 ? (
            <Empty>No customer matches.</Empty>
          ) : (
            <>
              <p className="muted" data-testid="customer-total">
                {count(found.total)} {found.total === 1 ? 'customer' : 'customers'}
                {search ? ` matching “${search}”` : ''}
              </p>
              <Table
                label="Customers"
                columns={['Email', 'Name', 'Plan', 'Status', 'Stripe customer', 'Since']}
              >
                {found.customers.map((c) => (
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
              </Table>
              <Pager pages={pages} next={found.next_cursor} />
            </>
          )
        }
      </Loaded>
    </Page>
  );
}
