/**
 * The chaos run's faults, each aimed at a moment: a worker SIGKILLed while it runs a given workflow's
 * activity (found by the worker identity Temporal records, `pid@host`), an API SIGKILLed in the middle
 * of traffic, Temporal and PostgreSQL restarted, the emulator answering 500, 429 or slowly. Each records
 * when it struck and how long until the work it hit was done again.
 */
import type { Client as TemporalClient } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Cluster } from '../cluster/cluster';
import { sleep, until } from './client';

const STARTED = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;

export interface FaultRecord {
  fault: string;
  at: string;
  /** From the fault until the piece it hit served again (an API ready, an activity finished). */
  recoveryMs: number | null;
  note?: string;
}

export class Faults {
  readonly records: FaultRecord[] = [];
  private readonly started = Date.now();

  constructor(
    private readonly cluster: Cluster,
    private readonly temporal: TemporalClient,
    private readonly log: (line: string) => void,
  ) {}

  private record(fault: string, recoveryMs: number | null, note?: string): void {
    const at = `${((Date.now() - this.started - (recoveryMs ?? 0)) / 1000).toFixed(1)} s`;
    this.records.push({ fault, at, recoveryMs, ...(note ? { note } : {}) });
    this.log(
      `${fault}: ${recoveryMs === null ? 'did not strike' : `recovered in ${(recoveryMs / 1000).toFixed(1)} s`}${note ? ` (${note})` : ''}`,
    );
  }

  /**
   * SIGKILL an API or the access lane; recovered when it answers /readyz again (the balancer served the
   * rest meanwhile).
   */
  async killApi(name: 'api-1' | 'api-2' | 'api-access', why: string): Promise<void> {
    const url =
      name === 'api-access'
        ? this.cluster.urls.accessLane
        : this.cluster.urls.apis[name === 'api-1' ? 0 : 1]!;
    const t0 = Date.now();
    this.cluster.kill(name);
    await sleep(300);
    await ready(url, `${name} back`);
    this.record(`SIGKILL ${name} ${why}`, Date.now() - t0);
  }

  /**
   * Waits (up to `withinMs`) for an activity of `workflowId` to be running, SIGKILLs the worker that runs
   * it, and counts recovery until that activity is no longer pending (another worker finished it).
   */
  async killWorkerRunning(workflowId: string, why: string, withinMs = 60_000): Promise<boolean> {
    const handle = this.temporal.workflow.getHandle(workflowId);
    const deadline = Date.now() + withinMs;
    while (Date.now() < deadline) {
      const d = await handle.describe().catch(() => null);
      // Closed before any activity was caught running: waiting on would only spend the window.
      if (d && d.status.name !== 'RUNNING') break;
      const running = d?.raw.pendingActivities?.find((a) => a.state === STARTED && a.lastWorkerIdentity);
      const pid = Number(running?.lastWorkerIdentity?.split('@')[0]);
      const worker = (['worker-1', 'worker-2'] as const).find((w) => this.cluster.process(w).pid === pid);
      if (running && worker) {
        const activityId = running.activityId;
        const t0 = Date.now();
        this.cluster.kill(worker);
        await until(
          `${workflowId}'s ${running.activityType?.name} to finish elsewhere`,
          () =>
            handle
              .describe()
              .then((x) => x.raw.pendingActivities?.some((a) => a.activityId === activityId) ?? false),
          (pending) => !pending,
          300_000,
          500,
        );
        this.record(
          `SIGKILL ${worker} ${why}`,
          Date.now() - t0,
          `${running.activityType?.name} in ${workflowId}`,
        );
        return true;
      }
      await sleep(50);
    }
    this.record(
      `SIGKILL a worker ${why}`,
      null,
      `no activity of ${workflowId} was caught running within ${withinMs / 1000} s`,
    );
    return false;
  }

  /** Temporal killed; recovered when the balancer's APIs are ready again (they check Temporal). */
  async restartTemporal(): Promise<void> {
    const t0 = Date.now();
    this.cluster.kill('temporal');
    await sleep(500);
    await this.readyBehindBalancer('Temporal');
    this.record('Temporal server killed and restarted', Date.now() - t0);
  }

  /** PostgreSQL stopped as a crash and started again; recovered when the APIs read and write again. */
  async restartPostgres(): Promise<void> {
    const t0 = Date.now();
    this.cluster.restartPostgres({ crash: true });
    await this.readyBehindBalancer('PostgreSQL');
    this.record('PostgreSQL crashed and restarted', Date.now() - t0);
  }

  /** The emulator answers the next `count` Stripe calls of the engine with `kind`. */
  async stripeFault(
    kind: 'error500' | 'rateLimit' | 'latency',
    count: number,
    path = '/v1/*',
  ): Promise<void> {
    const res = await fetch(`${this.cluster.urls.stripe}/_emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind, path, count, latencyMs: kind === 'latency' ? 3000 : undefined }),
    });
    if (!res.ok) throw new Error(`the emulator refused a fault: ${res.status}`);
    this.record(`Stripe answers ${kind} to ${count} call${count === 1 ? '' : 's'} of ${path}`, 0);
  }

  private async readyBehindBalancer(what: string): Promise<void> {
    for (const url of [...this.cluster.urls.apis, this.cluster.urls.accessLane])
      await ready(url, `${what} back for ${url}`);
  }
}

/** Until the API at `url` answers /readyz with 200 (its database, Temporal and a worker are there). */
function ready(url: string, what: string): Promise<boolean> {
  const check = () =>
    fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
  return until(what, check, (ok) => ok, 180_000, 200);
}
