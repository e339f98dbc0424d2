/**
 * A plan migration's pace and progress: the rules the durable migration (workflows/plan-migration.ts) and
 * the report share.
 */

/** Subscriptions moved at once: each is one Update on its own workflow, so a batch is that many in flight. */
export const MIGRATION_BATCH = 20;
/**
 * Moves made now, a second: each is one Stripe subscription update, and Stripe's live limit is 100 writes
 * a second for the whole account (25 in test mode), which the rest of the engine shares. A move at period
 * end writes nothing to Stripe until its renewal, so those are not paced (only the batch bounds them).
 */
export const MIGRATION_PER_SECOND = 10;
/** Batches per run before the workflow continues as new, so its history stays short at any book size. */
export const MIGRATION_BATCHES_PER_RUN = 25;

/** How long to wait after a batch of `size` that took `elapsedMs`, so moves never exceed `perSecond`. */
export function batchPauseMs(size: number, perSecond: number, elapsedMs: number): number {
  if (size <= 0 || perSecond <= 0) return 0;
  return Math.max(0, Math.ceil((size * 1000) / perSecond - elapsedMs));
}

export type MigrationOutcome = 'moved' | 'failed';

/** One subscription's part in a migration, as the report shows it. */
export interface MigrationItemResult {
  subscriptionId: string;
  fromVersion: number;
  outcome: MigrationOutcome;
  /** A move's result: at period end (`scheduled`) or at once (`applied`). */
  result: 'scheduled' | 'applied' | null;
  reason: string | null;
  amountCents: number;
  newAmountCents: number | null;
}

export interface MigrationProgress {
  candidates: number;
  moved: number;
  failed: number;
  /** Done of the whole, 0–100, rounded down so it reads 100 only when every one is done. */
  percent: number;
}

/** Progress from the counts recorded so far; a migration that found nobody is at 100. */
export function migrationProgress(candidates: number, moved: number, failed: number): MigrationProgress {
  const done = moved + failed;
  const percent = candidates <= 0 ? 100 : Math.min(100, Math.floor((done * 100) / candidates));
  return { candidates, moved, failed, percent };
}

/** A Stripe call a move would make, and when: now, or at the period end when the change applies. */
export interface RehearsedCall {
  at: 'now' | 'period_end';
  method: 'POST';
  path: string;
  params: Record<string, unknown>;
}

/** What a move would do to one subscription, worked out without doing it. */
export interface RehearsalDetail {
  currency: string;
  interval: 'month' | 'year';
  /** The renewal at the period end: its recurring fee before and after (before discounts and tax). */
  nextInvoice: { at: string | null; beforeCents: number; afterCents: number };
  /** A move made now: what Stripe invoices at once for the rest of the period. */
  proration: { creditCents: number; chargeCents: number; discountCents: number; dueNowCents: number } | null;
  /** Its monthly recurring revenue before and after (a yearly price counts a twelfth). */
  mrr: { beforeCents: number; afterCents: number };
  includedCredits: { before: number; after: number };
  entitlementChanges: { feature: string; change: string }[];
  /** Prepaid credits the customer holds: a plan change leaves them as they are. */
  creditsCarriedOver: number;
  stripeCalls: RehearsedCall[];
  /**
   * The monthly margin before and after: MRR, plus what the last MARGIN_WINDOW_DAYS of the customer's
   * usage is billed under each card, less what it cost the platform. Null where usage is not costed (a
   * currency other than the cost catalogue's); absent from rehearsals made before margins.
   */
  margin?: { costCents: number; beforeCents: number; afterCents: number } | null;
}

/** The days of usage, up to the rehearsal, whose margin a rehearsal compares under both cards. */
export const MARGIN_WINDOW_DAYS = 30;

export interface RehearsalFacts {
  subscriptionId: string;
  fromVersion: number;
  when: 'now' | 'period_end';
  currency: string;
  interval: 'month' | 'year';
  amountCents: number;
  newAmountCents: number | null;
  /** Why the move would be refused: the candidate's reason, or the workflow's validator on its state. */
  refusal: string | null;
  periodEnd: string | null;
  proration: RehearsalDetail['proration'];
  includedCredits: { before: number; after: number };
  entitlementChanges: { feature: string; change: string }[];
  creditsCarriedOver: number;
  /** The Stripe update the change would send (integrations/stripe/price-change.ts). */
  stripeCall: { path: string; params: Record<string, unknown> } | null;
  /** The customer's recent usage billed under the old card and the new, and its cost; null if not costed. */
  usage: { costCents: number; beforeCents: number; afterCents: number } | null;
}

/** A monthly figure of a price: a yearly one counts a twelfth, rounded to the cent. */
export function monthlyCents(amountCents: number, interval: 'month' | 'year'): number {
  return interval === 'year' ? Math.round(amountCents / 12) : amountCents;
}

/**
 * The rehearsed move: refused as the real one would be, or moved with the result the real one would
 * answer, the renewal's fee and the monthly revenue before and after, and the Stripe call it would make.
 */
export function rehearseMove(f: RehearsalFacts): MigrationItemResult & { detail: RehearsalDetail } {
  const moves = f.refusal === null && f.newAmountCents !== null;
  const after = moves ? (f.newAmountCents as number) : f.amountCents;
  return {
    subscriptionId: f.subscriptionId,
    fromVersion: f.fromVersion,
    outcome: moves ? 'moved' : 'failed',
    result: moves ? (f.when === 'now' ? 'applied' : 'scheduled') : null,
    reason: moves ? null : (f.refusal ?? 'no price to move onto'),
    amountCents: f.amountCents,
    newAmountCents: f.newAmountCents,
    detail: {
      currency: f.currency,
      interval: f.interval,
      nextInvoice: { at: f.periodEnd, beforeCents: f.amountCents, afterCents: after },
      proration: moves && f.when === 'now' ? f.proration : null,
      mrr: {
        beforeCents: monthlyCents(f.amountCents, f.interval),
        afterCents: monthlyCents(after, f.interval),
      },
      includedCredits: moves
        ? f.includedCredits
        : { before: f.includedCredits.before, after: f.includedCredits.before },
      entitlementChanges: moves ? f.entitlementChanges : [],
      creditsCarriedOver: f.creditsCarriedOver,
      stripeCalls:
        moves && f.stripeCall
          ? [{ at: f.when, method: 'POST', path: f.stripeCall.path, params: f.stripeCall.params }]
          : [],
      margin: f.usage && {
        costCents: f.usage.costCents,
        beforeCents: monthlyCents(f.amountCents, f.interval) + f.usage.beforeCents - f.usage.costCents,
        afterCents:
          monthlyCents(after, f.interval) +
          (moves ? f.usage.afterCents : f.usage.beforeCents) -
          f.usage.costCents,
      },
    },
  };
}

/** A rehearsal in total, per currency and overall. */
export interface RehearsalSummary {
  mrr: { currency: string; beforeCents: number; afterCents: number }[];
  payMore: number;
  payLess: number;
  paySame: number;
  failed: number;
  /** Due at once for moves made now, per currency. */
  dueNow: { currency: string; cents: number }[];
  /** The ten largest changes of monthly revenue, largest first (ties by subscription id). */
  largest: { subscriptionId: string; currency: string; beforeCents: number; afterCents: number }[];
  /** The monthly margin before and after, per currency costed (absent from rehearsals made before margins). */
  margin?: { currency: string; costCents: number; beforeCents: number; afterCents: number }[];
}

/** Totals a rehearsal's moves: revenue before and after, who pays more, less or the same, the largest changes. */
export function rehearsalSummary(
  moves: readonly { subscriptionId: string; outcome: MigrationOutcome; detail: RehearsalDetail }[],
): RehearsalSummary {
  const mrr = new Map<string, { beforeCents: number; afterCents: number }>();
  const dueNow = new Map<string, number>();
  const margin = new Map<string, { costCents: number; beforeCents: number; afterCents: number }>();
  let payMore = 0;
  let payLess = 0;
  let paySame = 0;
  let failed = 0;
  for (const m of moves) {
    const d = m.detail;
    const sum = mrr.get(d.currency) ?? { beforeCents: 0, afterCents: 0 };
    sum.beforeCents += d.mrr.beforeCents;
    sum.afterCents += d.mrr.afterCents;
    mrr.set(d.currency, sum);
    if (d.proration) dueNow.set(d.currency, (dueNow.get(d.currency) ?? 0) + d.proration.dueNowCents);
    if (d.margin) {
      const sum = margin.get(d.currency) ?? { costCents: 0, beforeCents: 0, afterCents: 0 };
      sum.costCents += d.margin.costCents;
      sum.beforeCents += d.margin.beforeCents;
      sum.afterCents += d.margin.afterCents;
      margin.set(d.currency, sum);
    }
    if (m.outcome === 'failed') failed++;
    else if (d.mrr.afterCents > d.mrr.beforeCents) payMore++;
    else if (d.mrr.afterCents < d.mrr.beforeCents) payLess++;
    else paySame++;
  }
  const largest = moves
    .filter((m) => m.outcome === 'moved' && m.detail.mrr.afterCents !== m.detail.mrr.beforeCents)
    .map((m) => ({
      subscriptionId: m.subscriptionId,
      currency: m.detail.currency,
      beforeCents: m.detail.mrr.beforeCents,
      afterCents: m.detail.mrr.afterCents,
    }))
    .sort((a, b) => {
      const by = Math.abs(b.afterCents - b.beforeCents) - Math.abs(a.afterCents - a.beforeCents);
      return by !== 0
        ? by
        : a.subscriptionId < b.subscriptionId
          ? -1
          : a.subscriptionId > b.subscriptionId
            ? 1
            : 0;
    })
    .slice(0, 10);
  const byCurrency = <T>(m: Map<string, T>) =>
    [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    mrr: byCurrency(mrr).map(([currency, s]) => ({ currency, ...s })),
    payMore,
    payLess,
    paySame,
    failed,
    dueNow: byCurrency(dueNow).map(([currency, cents]) => ({ currency, cents })),
    largest,
    margin: byCurrency(margin).map(([currency, m]) => ({ currency, ...m })),
  };
}
