import { spawn, type ChildProcess } from 'node:child_process';

/**
 * How fast the machine's cores run while a benchmark runs: the CPU time of one fixed job, done now and
 * then in a process of its own. A virtual machine's core can slow down without a trace in the guest's
 * own figures (no steal time) when the host gives the hardware it shares to a neighbour: each CPU second
 * then buys less work, and every process's CPU per unit of work grows at once. bench:scale saw it on
 * 2026-12-01: from one step of sign-ups to the next, every process's CPU a sign-up doubled, the Stripe
 * emulator's too, which nothing in the engine touches. With the job's time beside each step, such a step
 * reads as the machine, not as the engine.
 *
 * The job's own CPU time does not count the time it waits for a core, so a busy machine that runs at full
 * speed leaves it unchanged; what moves it is how much a CPU second does (another hardware thread of the
 * same core busy, a lower clock, a cold cache).
 */

// Arithmetic over an array and a string-keyed map: the kinds of work the engine's processes do most.
const JOB = `
function job() {
  const a = new Float64Array(4096);
  let x = 0;
  for (let r = 0; r < 200; r++) for (let i = 0; i < 4096; i++) { a[i] = a[i] * 1.0000001 + i; x += a[i] % 7; }
  const m = new Map();
  for (let i = 0; i < 50000; i++) m.set('k' + (i % 5000), i);
  return x + m.size;
}
function cpuMs(f) {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}
for (let i = 0; i < 10; i++) job(); // compiled and warm before the first reading
process.on('message', () => {
  const runs = [cpuMs(job), cpuMs(job), cpuMs(job)].sort((p, q) => p - q);
  process.send(runs[1]);
});
process.send('ready');
`;

export interface CoreSpeedSample {
  /** Date.now() when it was taken */
  at: number;
  /** the fixed job's CPU ms (the median of three in a row) */
  jobMs: number;
}

export interface CoreSpeed {
  /** The job's CPU ms, median of the samples taken between two times (undefined when none was). */
  jobMsBetween(from: number, to: number): number | undefined;
  stop(): void;
}

/** Starts sampling every `everyMs` (about 60 ms of one core a sample: under 1 % of it at the default). */
export async function watchCoreSpeed(everyMs = 10_000): Promise<CoreSpeed> {
  const child: ChildProcess = spawn(process.execPath, ['-e', JOB], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const samples: CoreSpeedSample[] = [];
  let waiting: ((ms: number) => void) | undefined;
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the core-speed probe exited at start (${code})`)));
    child.once('message', () => resolve());
  });
  // A probe that died (killed, out of memory) leaves its steps without a reading, not the run failed.
  child.on('error', () => undefined);
  child.on('message', (ms) => {
    if (typeof ms === 'number') waiting?.(ms);
  });
  const sample = () =>
    new Promise<number>((resolve) => {
      waiting = resolve;
      child.send('job');
    });
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      const jobMs = await sample();
      if (stopped) break;
      samples.push({ at: Date.now(), jobMs });
      await new Promise((r) => setTimeout(r, everyMs).unref());
    }
  };
  void loop();
  return {
    jobMsBetween: (from, to) => medianJobMs(samples, from, to),
    stop() {
      stopped = true;
      child.kill();
    },
  };
}

/** The median job time of the samples taken from `from` to `to` (the lower middle one of an even count). */
export function medianJobMs(samples: CoreSpeedSample[], from: number, to: number): number | undefined {
  const inside = samples
    .filter((s) => s.at >= from && s.at <= to)
    .map((s) => s.jobMs)
    .sort((p, q) => p - q);
  return inside.length ? inside[Math.floor((inside.length - 1) / 2)] : undefined;
}
