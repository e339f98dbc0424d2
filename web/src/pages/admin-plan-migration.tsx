import { useEffect, useRef, useState } from 'react';
import { ApiError, api, call } from '../api/client';
import type { paths } from '../api/openapi.gen';
import { Card, ErrorNotice, Table } from '../components';
import { useLoad } from '../data';
import { count, dateTime, money } from '../format';
import { RehearsalReport } from './admin-plan-rehearsal';

type Report =
  paths['/api/v1/admin/plan-migrations/{migration_id}']['get']['responses'][200]['content']['application/json'];

/** How often a running migration is read again. */
const POLL_MS = 1000;

/**
 * A migration or rehearsal as it runs: the share done so far, and once it has finished, for a migration
 * every subscription it could not move with the reason, for a rehearsal every move worked out (the first
 * 500; the API pages the rest) and the button that approves it into the migration, which then follows here.
 */
export function MigrationRun({ migrationId, onFinished }: { migrationId: string; onFinished(): void }) {
  const [shown, setShown] = useState(migrationId);
  const [approving, setApproving] = useState(false);
  const [refused, setRefused] = useState<ApiError | null>(null);
  const report = useLoad(
    () =>
      call(
        api.GET('/api/v1/admin/plan-migrations/{migration_id}', {
          params: {
            path: { migration_id: shown },
            query: shown.startsWith('prh_') ? { limit: 500 } : { outcome: 'failed', limit: 500 },
          },
        }),
      ),
    shown,
  );
  const { reload, data } = report;
  const running = data?.status === 'running';
  useEffect(() => {
    if (!running) return;
    const timer = setTimeout(() => void reload(), POLL_MS);
    return () => clearTimeout(timer);
  }, [running, data, reload]);
  // Told once, when a migration is seen finished: the page then reloads its versions' subscriber counts.
  const told = useRef(false);
  const finished = data?.status === 'completed' && data.kind === 'migration';
  useEffect(() => {
    if (!finished || told.current) return;
    told.current = true;
    onFinished();
  }, [finished, onFinished]);

  if (report.error) return <ErrorNotice error={report.error} retry={report.reload} />;
  if (!data || data.migration_id !== shown) return <p>Starting…</p>;
  if (data.kind === 'rehearsal' && data.status === 'completed')
    return (
      <>
        {refused && <ErrorNotice error={refused} />}
        <RehearsalReport
          r={data}
          busy={approving}
          onApprove={() => {
            setApproving(true);
            void call(
              api.POST('/api/v1/admin/plan-migrations/{migration_id}/approve', {
                params: { path: { migration_id: shown } },
              }),
            )
              .then((m) => {
                setRefused(null);
                setShown(m.migration_id);
              })
              .catch((err: unknown) =>
                setRefused(err instanceof ApiError ? err : new ApiError(0, 'client_error', String(err))),
              )
              .finally(() => setApproving(false));
          }}
        />
      </>
    );
  return <MigrationReport r={data} />;
}

function MigrationReport({ r }: { r: Report }) {
  const p = r.progress;
  const done = p.moved + p.failed;
  return (
    <Card
      id="migration-run"
      title={`${r.kind === 'rehearsal' ? 'Rehearsal' : 'Migration'} of ${r.plan_id} to version ${r.version}`}
    >
      <p className="muted small">
        Started {dateTime(r.started_at)}
        {r.started_by ? ` by ${r.started_by}` : ''}, moving at {r.when === 'now' ? 'once' : 'each period end'}
        . Temporal runs it as{' '}
        <code>
          plan-{r.kind === 'rehearsal' ? 'rehearsal' : 'migration'}-{r.plan_id}
        </code>
        .
      </p>
      {r.comparison && (
        <p data-testid="migration-comparison">
          {count(r.comparison.matched)} moved as rehearsed
          {r.comparison.differed > 0
            ? `; ${count(r.comparison.differed)} differed from the rehearsal (their state changed in between): ${r.comparison.differing.join(', ')}`
            : '; none differed from the rehearsal'}
        </p>
      )}
      <p data-testid="migration-progress">
        <label htmlFor="migration-progress-bar">
          {r.status === 'completed' ? 'Finished: ' : ''}
          {count(done)} of {count(p.candidates)} handled ({p.percent} %): {count(p.moved)} moved,{' '}
          {count(p.failed)} could not be moved
        </label>
        <br />
        <progress
          id="migration-progress-bar"
          max={Math.max(p.candidates, 1)}
          value={p.candidates === 0 ? 1 : done}
          style={{ width: '100%', height: '1.25rem' }}
        >
          {p.percent} %
        </progress>
      </p>
      {r.status === 'completed' && r.subscriptions.length > 0 && (
        <Table
          label="Subscriptions the migration could not move"
          columns={['Subscription', 'From version', { label: 'Price', num: true }, 'Why']}
        >
          {r.subscriptions.map((s) => (
            <tr key={s.subscription_id}>
              <th scope="row">
                <code>{s.subscription_id}</code>
              </th>
              <td>{s.from_version}</td>
              <td className="num">{money(s.amount_cents, 'usd')}</td>
              <td>{s.reason}</td>
            </tr>
          ))}
        </Table>
      )}
    </Card>
  );
}
