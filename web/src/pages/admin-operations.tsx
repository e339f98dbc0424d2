import { useState } from 'react';
import { api, call } from '../api/client';
import { Card, Empty, Loaded, Page, Table } from '../components';
import { useLoad } from '../data';
import { count, date, dateTime, money } from '../format';
import { Pager, useCursorPages } from '../cursor-pages';
import { DunningRuns } from './admin-dunning-runs';
import { RenewalRun } from './admin-renewal-run';

/** Where to look when something seems stuck: the renewal run, Stripe's events, payments in dunning, notifications. */
export function AdminOperations() {
  const [onlyStuck, setOnlyStuck] = useState(false);
  const [typed, setTyped] = useState('');
  const [type, setType] = useState('');
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const ops = useLoad(
    () =>
      call(
        api.GET('/api/v1/admin/operations', {
          params: {
            query: {
              limit: 25,
              webhooks: onlyStuck ? 'unforwarded' : 'all',
              ...(type ? { type } : {}),
              ...(cursor ? { cursor } : {}),
            },
          },
        }),
      ),
    `admin-ops-${onlyStuck}-${type}-${cursor ?? ''}`,
  );
  return (
    <Page title="Operations" wide>
      <Loaded state={ops} what="operations">
        {({ renewals, webhooks, dunning, outbox }) => (
          <>
            <RenewalRun renewals={renewals} />
            <Card id="webhooks" title="Stripe events">
              <p data-testid="unforwarded">
                {webhooks.unforwarded === 0
                  ? 'Every event received has reached its workflow.'
                  : `${count(webhooks.unforwarded)} events not yet forwarded; the sweep retries them.`}
              </p>
              <label>
                <input
                  type="checkbox"
                  checked={onlyStuck}
                  onChange={(e) => {
                    setOnlyStuck(e.target.checked);
                    pages.restart();
                  }}
                />{' '}
                Only events not yet forwarded
              </label>
              <form
                className="filters"
                role="search"
                aria-label="Stripe events by type"
                onSubmit={(e) => {
                  e.preventDefault();
                  setType(typed.trim());
                  pages.restart();
                }}
              >
                <label>
                  Event type{' '}
                  <input
                    value={typed}
                    maxLength={80}
                    placeholder="invoice.paid"
                    pattern="[a-z_.]{1,80}"
                    onChange={(e) => setTyped(e.target.value)}
                  />
                </label>
                <button type="submit" className="secondary">
                  Filter
                </button>
              </form>
              {webhooks.events.length === 0 ? (
                <Empty>No events.</Empty>
              ) : (
                <Table
                  label="Stripe events"
                  columns={['Event', 'Type', 'Received', 'Forwarded', 'Handed to']}
                >
                  {webhooks.events.map((e) => (
                    <tr key={e.id}>
                      <th scope="row">
                        <code>{e.id}</code>
                      </th>
                      <td>{e.type}</td>
                      <td>{dateTime(e.received_at)}</td>
                      <td>{e.forwarded_at ? dateTime(e.forwarded_at) : 'not yet'}</td>
                      <td>{e.routed_to.length ? e.routed_to.join(', ') : '—'}</td>
                    </tr>
                  ))}
                </Table>
              )}
              <Pager pages={pages} next={webhooks.next_cursor} labels={['Newer events', 'Older events']} />
            </Card>
            <Card id="dunning" title="Payments in dunning">
              {dunning.length === 0 ? (
                <p className="muted">No payment is being retried.</p>
              ) : (
                <Table
                  label="Payments in dunning"
                  columns={[
                    'Customer',
                    'Invoice',
                    { label: 'Due', num: true },
                    { label: 'Attempts', num: true },
                    'Subscription',
                  ]}
                >
                  {dunning.map((d) => (
                    <tr key={d.invoice_id}>
                      <th scope="row">{d.email}</th>
                      <td>
                        {d.hosted_invoice_url ? (
                          <a href={d.hosted_invoice_url}>{d.invoice_id}</a>
                        ) : (
                          <code>{d.invoice_id}</code>
                        )}
                        {d.due_date ? `, due ${date(d.due_date)}` : ''}
                      </td>
                      <td className="num">{money(d.amount_due_cents, d.currency)}</td>
                      <td className="num">{count(d.attempts)}</td>
                      <td>{d.subscription_status}</td>
                    </tr>
                  ))}
                </Table>
              )}
            </Card>
            <DunningRuns />
            <Card id="outbox" title="Notification outbox">
              <p>{count(outbox.unsent)} not sent.</p>
              {outbox.recent.length > 0 && (
                <Table label="Recent notifications" columns={['Kind', 'Handed to', 'Queued', 'Sent']}>
                  {outbox.recent.map((n) => (
                    <tr key={n.id}>
                      <th scope="row">{n.kind}</th>
                      <td>{n.email}</td>
                      <td>{dateTime(n.created_at)}</td>
                      <td>{n.sent_at ? dateTime(n.sent_at) : n.error ? `failed: ${n.error}` : 'not yet'}</td>
                    </tr>
                  ))}
                </Table>
              )}
            </Card>
          </>
        )}
      </Loaded>
    </Page>
  );
}
