import { useState, type FormEvent } from 'react';
import { api, type ApiError, call } from '../api/client';
import { Card, Empty, ErrorNotice, Loaded, Notice, Table } from '../components';
import { useAction, useLoad } from '../data';
import { count } from '../format';
import {
  ActionPage,
  Choices,
  ListCard,
  RowAction,
  Submit,
  TextField,
  ToggleAction,
  useForm,
} from '../form-kit';

type Status = 'pending' | 'succeeded' | 'failed';
const blank = { url: '', description: '', types: [] as string[] };
const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

/** A signing secret shown once, after an endpoint is made or its secret rotated, with a way to copy it. */
function SecretOnce({ url, secret }: { url: string; secret: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <Notice kind="success">
      <p>
        The signing secret of <code>{url}</code>. Copy it now: it is not shown again (rotate it to get a new
        one).
      </p>
      <p>
        <code data-testid="webhook-secret">{secret}</code>{' '}
        <button
          type="button"
          className="secondary"
          onClick={() => void navigator.clipboard?.writeText(secret).then(() => setCopied(true))}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </p>
    </Notice>
  );
}

/** One endpoint's deliveries, newest first, each with its attempts and payload, and a way to send it again. */
function DeliveryLog({ endpointId, url }: { endpointId: string; url: string }) {
  const [status, setStatus] = useState<Status | ''>('');
  const [pages, setPages] = useState<string[]>(['']);
  const [outcome, setOutcome] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const before = pages[pages.length - 1]!;
  const log = useLoad(
    () =>
      call(
        api.GET('/api/v1/admin/billing/webhook-endpoints/{id}/deliveries', {
          params: {
            path: { id: endpointId },
            query: { limit: 25, ...(status && { status }), ...(before && { before }) },
          },
        }),
      ),
    `${endpointId}|${status}|${before}`,
  );
  const redeliver = async (id: string) => {
    setBusy(id);
    setError(null);
    setOutcome(null);
    try {
      const r = await call(
        api.POST('/api/v1/admin/billing/webhook-deliveries/{id}/redeliver', { params: { path: { id } } }),
      );
      const a = r.attempt;
      // Told once the log shows the new attempt.
      await log.reload();
      setOutcome(
        r.delivered
          ? `Sent again: the endpoint answered ${a?.status_code ?? ''} in ${count(a?.latency_ms ?? 0)} ms.`
          : `Sent again, and it failed: ${a?.status_code ?? a?.error ?? 'no answer'}.`,
      );
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(null);
    }
  };
  return (
    <Card id="deliveries" title={`Deliveries to ${url}`} wide>
      {outcome && <Notice kind="success">{outcome}</Notice>}
      {error && <ErrorNotice error={error} />}
      <label>
        Show{' '}
        <select
          value={status}
          onChange={(e) => {
            setStatus(e.target.value as Status | '');
            setPages(['']);
          }}
        >
          <option value="">every delivery</option>
          <option value="pending">waiting or retrying</option>
          <option value="succeeded">delivered</option>
          <option value="failed">given up</option>
        </select>
      </label>
      <Loaded state={log} what="the deliveries">
        {({ deliveries, next_cursor }) =>
          deliveries.length === 0 ? (
            <Empty>No deliveries{status ? ' of this kind' : ''} yet.</Empty>
          ) : (
            <>
              <Table
                label="Deliveries"
                columns={[
                  'Event',
                  'Status',
                  { label: 'Attempts', num: true },
                  'Next attempt',
                  'Attempts and payload',
                  { label: 'Actions', hidden: true },
                ]}
              >
                {deliveries.map((d) => (
                  <tr key={d.id} data-testid={`delivery-${d.event_id}`}>
                    <th scope="row">
                      {d.event_type} <code>{d.event_id}</code>
                      <br />
                      <small>{when(d.event_created_at)}</small>
                    </th>
                    <td>
                      {d.status === 'succeeded'
                        ? 'Delivered'
                        : d.status === 'failed'
                          ? 'Given up'
                          : 'Pending'}
                    </td>
                    <td className="num">{count(d.attempt_log.length)}</td>
                    <td>{d.status === 'pending' ? when(d.next_attempt_at) : '—'}</td>
                    <td>
                      <details>
                        <summary>Show</summary>
                        <table className="inner">
                          <caption>Attempts, newest first</caption>
                          <thead>
                            <tr>
                              <th scope="col">When</th>
                              <th scope="col">Answer</th>
                              <th scope="col">Latency</th>
                              <th scope="col">Response</th>
                            </tr>
                          </thead>
                          <tbody>
                            {d.attempt_log.map((a) => (
                              <tr key={a.id}>
                                <td>
                                  {when(a.at)}
                                  {a.manual ? ' (by hand)' : ''}
                                </td>
                                <td>{a.status_code ?? a.error ?? '—'}</td>
                                <td>{count(a.latency_ms)} ms</td>
                                <td>
                                  <code>{a.response_excerpt || '—'}</code>
                                </td>
                              </tr>
                            ))}
                          </tbody>
                        </table>
                        <pre aria-label={`Payload of ${d.event_id}`}>
                          {JSON.stringify(d.payload, null, 2)}
                        </pre>
                      </details>
                    </td>
                    <td>
                      <RowAction
                        busy={busy !== null}
                        label={`Redeliver ${d.event_type} ${d.event_id}`}
                        onClick={() => void redeliver(d.id)}
                      >
                        {busy === d.id ? 'Sending…' : 'Redeliver'}
                      </RowAction>
                    </td>
                  </tr>
                ))}
              </Table>
              {next_cursor && (
                <button type="button" className="secondary" onClick={() => setPages([...pages, next_cursor])}>
                  Older deliveries
                </button>
              )}
              {pages.length > 1 && (
                <button type="button" className="secondary" onClick={() => setPages(pages.slice(0, -1))}>
                  Newer deliveries
                </button>
              )}
            </>
          )
        }
      </Loaded>
    </Card>
  );
}

/**
 * Outgoing webhooks: the endpoints (address, event types, on or off and why), adding one (its secret shown
 * once), turning one off or on, rotating its secret, removing it, and each endpoint's delivery log with a
 * way to send a delivery again. The API audits every change.
 */
export function AdminWebhooks() {
  const endpoints = useLoad(() => call(api.GET('/api/v1/admin/billing/webhook-endpoints')), 'webhooks');
  const [form, setForm, field] = useForm(blank);
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const [open, setOpen] = useState<{ id: string; url: string } | null>(null);
  const action = useAction(endpoints.reload);
  const { busy } = action;
  // A secret stays on screen until the next action, whatever that is.
  const run = (fn: () => Promise<string>) => {
    setSecret(null);
    return action.run(fn);
  };
  const create = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const made = await call(
        api.POST('/api/v1/admin/billing/webhook-endpoints', {
          body: {
            url: form.url.trim(),
            description: form.description.trim() || null,
            event_types: form.types as never,
          },
        }),
      );
      setForm(blank);
      setSecret({ url: made.url, secret: made.secret });
      return `Endpoint added: it receives ${made.event_types.length} event type(s) from now on.`;
    });
  };
  const setEnabled = (id: string, url: string, enabled: boolean) =>
    void run(async () => {
      await call(
        api.PATCH('/api/v1/admin/billing/webhook-endpoints/{id}', {
          params: { path: { id } },
          body: { enabled },
        }),
      );
      return enabled
        ? `${url} is on again; what waited for it goes out in order.`
        : `${url} is off; its events wait for it.`;
    });
  const rotate = (id: string, url: string) => {
    if (!window.confirm(`Rotate the signing secret of ${url}? The old one stops working at once.`)) return;
    void run(async () => {
      const r = await call(
        api.POST('/api/v1/admin/billing/webhook-endpoints/{id}/rotate-secret', { params: { path: { id } } }),
      );
      setSecret({ url, secret: r.secret });
      return `The secret of ${url} is rotated.`;
    });
  };
  const remove = (id: string, url: string) => {
    if (!window.confirm(`Remove ${url}? What waits for it is given up; its log stays.`)) return;
    void run(async () => {
      await call(api.DELETE('/api/v1/admin/billing/webhook-endpoints/{id}', { params: { path: { id } } }));
      if (open?.id === id) setOpen(null);
      return `${url} is removed.`;
    });
  };

  return (
    <ActionPage
      title="Webhooks"
      action={action}
      notice={secret && <SecretOnce url={secret.url} secret={secret.secret} />}
    >
      <ListCard
        id="endpoints"
        title="Endpoints"
        state={endpoints}
        what="the webhook endpoints"
        rows={(d) => d.endpoints}
        empty="No endpoints yet: events are kept, and go to endpoints added from now on."
        label="Webhook endpoints"
        columns={[
          'Endpoint',
          'Events',
          'State',
          { label: 'Waiting', num: true },
          { label: 'Given up', num: true },
          { label: 'Actions', hidden: true },
        ]}
      >
        {(e) => (
          <tr key={e.id} data-testid={`endpoint-${e.id}`}>
            <th scope="row">
              <code>{e.url}</code>
              {e.description && (
                <>
                  <br />
                  {e.description}
                </>
              )}
            </th>
            <td>{e.event_types.join(', ')}</td>
            <td>
              {e.enabled ? 'On' : 'Off'}
              {e.disabled_reason && (
                <>
                  <br />
                  <small>{e.disabled_reason}</small>
                </>
              )}
              {e.enabled && e.failing_since && (
                <>
                  <br />
                  <small>failing since {when(e.failing_since)}</small>
                </>
              )}
            </td>
            <td className="num">{count(e.pending_deliveries)}</td>
            <td className="num">{count(e.failed_deliveries)}</td>
            <td className="actions">
              <RowAction label={`Deliveries to ${e.url}`} onClick={() => setOpen({ id: e.id, url: e.url })}>
                Deliveries
              </RowAction>{' '}
              <ToggleAction
                busy={busy}
                on={e.enabled}
                name={e.url}
                words={['Turn off', 'Turn on']}
                onToggle={(enabled) => setEnabled(e.id, e.url, enabled)}
              />{' '}
              <RowAction busy={busy} label={`Rotate secret of ${e.url}`} onClick={() => rotate(e.id, e.url)}>
                Rotate secret
              </RowAction>{' '}
              <RowAction busy={busy} label={`Remove ${e.url}`} onClick={() => remove(e.id, e.url)}>
                Remove
              </RowAction>
            </td>
          </tr>
        )}
      </ListCard>

      {open && <DeliveryLog endpointId={open.id} url={open.url} />}

      <Card id="new-endpoint" title="New endpoint">
        <form className="form" onSubmit={create}>
          <TextField
            label="URL (https in production; the engine refuses private and loopback addresses)"
            bind={field('url')}
            required
            type="url"
            maxLength={2000}
          />
          <TextField label="Description (optional)" bind={field('description')} maxLength={200} />
          <Choices
            legend="Events it receives"
            bind={field('types')}
            options={(endpoints.data?.event_types ?? []).map((t) => ({ value: t, label: <code>{t}</code> }))}
          />
          <Submit disabled={busy || form.types.length === 0}>Add endpoint</Submit>
        </form>
      </Card>
    </ActionPage>
  );
}
