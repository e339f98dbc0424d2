/**
 * An open loop run from a process of its own. A benchmark that floods the API from its own event loop
 * would otherwise count its own delays in the latency of the few requests it times beside the flood (a
 * gateway's checks come from other processes than the reports that flood an API). Only fixed requests:
 * the same method, path, headers and body every time, which is what crosses the process boundary.
 */
import { fork } from 'node:child_process';
import { prioritize, type Priority } from './api-process';
import { openLoop, type LoadResult } from './load';

export interface FixedTarget {
  port: number;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
}

interface Order {
  target: FixedTarget;
  rate: number;
  seconds: number;
}

export interface LoadProcess {
  /** An open loop of `target` run by the process; one at a time. */
  openLoop(target: FixedTarget, opts: { rate: number; seconds: number }): Promise<LoadResult>;
  stop(): Promise<void>;
}

/** Starts the process (at `priority`, when given) and waits until it is ready to send, so its loop starts when asked. */
export async function startLoadProcess(priority: Priority | null = null): Promise<LoadProcess> {
  const child = fork(__filename, ['--apart'], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (priority !== null) prioritize(child.pid, priority);
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`the load process exited with ${code} at start`)));
  });
  return {
    openLoop: (target, opts) =>
      new Promise((resolve) => {
        child.once('message', (result) => resolve(result as LoadResult));
        child.send({ target, ...opts } satisfies Order);
      }),
    async stop() {
      child.disconnect();
      await exited;
    },
  };
}

if (process.argv.includes('--apart')) {
  process.on('message', (order: Order) => {
    const { target } = order;
    void openLoop(
      { port: target.port, method: target.method, path: () => target.path, headers: target.headers },
      { rate: order.rate, seconds: order.seconds },
    ).then((result) => process.send?.(result));
  });
  process.send?.('ready');
}
