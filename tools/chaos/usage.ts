/**
 * The AI gateway of the chaos run: several reporters at once, batches and single events, each event with
 * an id of its own. A request that gets no answer is sent again as it was (events are idempotent by id);
 * what the engine answered is the ledger the run checks against: an event it acknowledged (accepted, or a
 * duplicate of one stored before) must be stored once and billed once, one it rejected never.
 */
import { sleep, type Client } from './client';
import type { Random } from './random';

export interface UsageLedger {
  /** Event ids the engine acknowledged as stored, per customer email. */
  stored: Map<string, Set<string>>;
  /** Event ids it rejected, with the reason. */
  rejected: Map<string, string>;
  requests: number;
  events: number;
}

interface Event {
  id: string;
  type: string;
  quantity: number;
  customer_email: string;
}

export function newLedger(): UsageLedger {
  return { stored: new Map(), rejected: new Map(), requests: 0, events: 0 };
}

/** The events of `customers`, dealt into batches of 1 to 20 (a quarter of them single events). */
export function usageBatches(emails: string[], perCustomer: number, random: Random): Event[][] {
  const events: Event[] = [];
  for (const email of emails)
    for (let n = 0; n < perCustomer; n++)
      events.push({
        id: `chaos-${email.split('@')[0]}-${n}`,
        type: 'inference',
        quantity: random.int(20, 120),
        customer_email: email,
      });
  random.shuffle(events);
  const batches: Event[][] = [];
  for (let i = 0; i < events.length;) {
    const size = random.next() < 0.25 ? 1 : random.int(2, 20);
    batches.push(events.slice(i, i + size));
    i += size;
  }
  return batches;
}

/** Sends every batch through `reporters` concurrent senders; `onProgress` sees how many were answered. */
export async function report(
  api: Client,
  gatewayToken: string,
  batches: Event[][],
  ledger: UsageLedger,
  opts: { reporters: number; onProgress?: (answered: number, total: number) => void },
): Promise<void> {
  let next = 0;
  let answered = 0;
  const sender = async () => {
    while (next < batches.length) {
      const batch = batches[next++]!;
      const body = batch.length === 1 ? batch[0] : { events: batch };
      const answer = await api.retrying<{
        accepted?: number;
        rejected_events?: { index: number; reason: string }[];
        error?: { details?: { rejected_events?: { index: number; reason: string }[] } };
      } | null>('POST', '/api/v1/billing/report_usage', { token: gatewayToken, body });
      ledger.requests++;
      ledger.events += batch.length;
      const refused = new Map<number, string>();
      // A 429 names each event too: a report sent again after its answer was lost finds the events the
      // first try stored as duplicates (acknowledged) beside the ones the day's limit now refuses.
      const perEvent =
        answer.status >= 200 && answer.status < 300
          ? answer.body?.rejected_events
          : answer.status === 429
            ? answer.body?.error?.details?.rejected_events
            : undefined;
      if (perEvent) {
        for (const r of perEvent) refused.set(r.index, r.reason);
      } else {
        // Refused whole (a daily cap with nothing accepted, a validation error): nothing is stored.
        batch.forEach((_, i) => refused.set(i, `status ${answer.status}`));
      }
      batch.forEach((e, i) => {
        const reason = refused.get(i);
        if (reason) ledger.rejected.set(e.id, reason);
        else {
          const set = ledger.stored.get(e.customer_email) ?? new Set<string>();
          set.add(e.id);
          ledger.stored.set(e.customer_email, set);
        }
      });
      opts.onProgress?.(++answered, batches.length);
    }
  };
  await Promise.all(Array.from({ length: opts.reporters }, sender));
}

/** The gateway's checks before model calls, as the chaos run sent them and the engine answered. */
export interface AccessChecks {
  asked: number;
  /** A check whose last answer was not a decision (200 with `allowed`): the gateway could not decide. */
  undecided: string[];
}

/**
 * What a gateway asks before each model call, while it reports: check-access for one of `emails` at a
 * time, through the balancer (which sends it to the access lane), until `done()`. A check that goes
 * unanswered is asked again, as a gateway would.
 */
export async function askAccess(
  api: Client,
  gatewayToken: string,
  emails: string[],
  random: Random,
  done: () => boolean,
): Promise<AccessChecks> {
  const checks: AccessChecks = { asked: 0, undecided: [] };
  while (!done() && emails.length > 0) {
    const email = emails[random.int(0, emails.length - 1)]!;
    const answer = await api.retrying<{ allowed?: unknown } | null>(
      'POST',
      `/api/v1/subscriptions/check-access/api?customer_email=${encodeURIComponent(email)}`,
      { token: gatewayToken },
    );
    checks.asked++;
    if (answer.status !== 200 || typeof answer.body?.allowed !== 'boolean')
      checks.undecided.push(`${email}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`);
    await sleep(20);
  }
  return checks;
}
