import type { EntityManager } from '@mikro-orm/core';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import Stripe from 'stripe';
import { AppError } from '../../domain/errors';
import { planItem } from '../../integrations/stripe/plan-item';
import { Customer, Subscription, WebhookEvent } from '../../db/entities';
import { planOfPrice, pricesFor } from '../../db/plan-prices';
import { FINAL_STATUSES, isFinal } from '../../domain/subscription-status';
import { workflowIds } from '../../workflows/ids';
import { stripeEvent, type StripeEventSignal } from '../../workflows/messages';
import type { SubscriptionInput } from '../../workflows/subscription';
import { sqlFor } from '../../db/raw-sql';
import type { CoreDeps } from '../deps';
import { workflowType } from '../temporal/workflow-type';

type Obj = Record<string, unknown> & { id?: string };

/** A row read only for its id. */
const LINK_ONLY = { fields: ['id'] as never[] };

/** Stripe's own tolerance for replayed signatures: five minutes. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;
// Verification is local HMAC work; this client never makes a request.
const verifier = new Stripe('sk_test_signature_only');

/**
 * Checks a webhook's signature on the raw body. An expired timestamp gets its own code: a right signature
 * that arrives late points at a clock or a queue to fix, not at a wrong secret.
 */
export function verifyStripeEvent(
  rawBody: Buffer | string,
  signature: string,
  secret: string,
  toleranceSeconds = WEBHOOK_TOLERANCE_SECONDS,
): Stripe.Event {
  try {
    return verifier.webhooks.constructEvent(rawBody, signature, secret, toleranceSeconds);
  } catch {
    // stripe-node checks the age only after the signature matched; an unbounded tolerance skips the age.
    let signedRight = false;
    try {
      verifier.webhooks.constructEvent(rawBody, signature, secret, Number.POSITIVE_INFINITY);
      signedRight = true;
    } catch {
      signedRight = false;
    }
    if (signedRight) {
      throw new AppError(
        'invalid',
        'webhook_timestamp_expired',
        `The Stripe-Signature timestamp is more than ${toleranceSeconds} s old; check this server's clock, or replay the event`,
      );
    }
    throw new AppError('invalid', 'invalid_signature', 'The Stripe-Signature header does not match the body');
  }
}

/**
 * Event families the engine deliberately does nothing with: the catalog it syncs itself (products,
 * prices, plans, meters) and objects whose outcome reaches it through the invoice and subscription
 * events (payment intents, invoice items, customers, test clocks). Charges with their refunds and
 * disputes, and credit notes, are mirrored (see mirrorCharge).
 */
const IGNORED_EVENT_PREFIXES = [
  'product.',
  'price.',
  'plan.',
  'coupon.',
  'promotion_code.',
  'tax_rate.',
  'billing.meter.',
  'billing.alert.',
  'billing_portal.',
  // A new refund comes with charge.refunded, which mirrors it; later changes of it are mirrored.
  'refund.created',
  'payment_intent.',
  'setup_intent.',
  'invoiceitem.',
  'test_helpers.test_clock.',
  'customer.created',
  'customer.updated',
  'customer.deleted',
  'customer.discount.',
  'customer.tax_id.',
  'customer.source.',
];

/** Whether the engine ignores this type of event on purpose (so it is not reported as unrouted). */
export function isIgnoredEventType(type: string): boolean {
  return IGNORED_EVENT_PREFIXES.some((p) => (p.endsWith('.') ? type.startsWith(p) : type === p));
}

const str = (v: unknown): string | null =>
  typeof v === 'string' ? v : v && typeof v === 'object' && 'id' in v ? String((v as Obj).id) : null;

/** Where an event belongs: the Stripe subscription and, when Stripe carries it, our subscription id. */
function ownerOf(event: Stripe.Event): {
  stripeSubscriptionId: string | null;
  subscriptionId: string | null;
  stripeCustomerId: string | null;
} {
  const o = event.data.object as unknown as Obj;
  const meta = (o.metadata ?? {}) as Record<string, string>;
  if (event.type.startsWith('customer.subscription.')) {
    return {
      stripeSubscriptionId: str(o.id),
      subscriptionId: meta.subscription_id ?? null,
      stripeCustomerId: str(o.customer),
    };
  }
  if (event.type === 'checkout.session.completed') {
    return {
      stripeSubscriptionId: str(o.subscription),
      subscriptionId: meta.subscription_id ?? (o.client_reference_id as string | null) ?? null,
      stripeCustomerId: str(o.customer),
    };
  }
  if (event.type.startsWith('invoice.')) {
    const details = ((o.parent as Obj | null)?.subscription_details ?? null) as Obj | null;
    return {
      stripeSubscriptionId: str(details?.subscription) ?? str(o.subscription),
      subscriptionId: ((details?.metadata ?? {}) as Record<string, string>).subscription_id ?? null,
      stripeCustomerId: str(o.customer),
    };
  }
  return { stripeSubscriptionId: null, subscriptionId: null, stripeCustomerId: str(o.customer) };
}

/** The input that starts a subscription's workflow when Stripe made the subscription (dashboard, portal). */
async function startInputFor(
  em: EntityManager,
  subscriptionId: string,
  stripeSubscriptionId: string,
  stripeCustomerId: string | null,
  event: Stripe.Event,
): Promise<SubscriptionInput | null> {
  const row = await em.findOne(Subscription, subscriptionId, { populate: ['customer', 'plan'] });
  const customer =
    row?.customer ?? (stripeCustomerId ? await em.findOne(Customer, { stripeCustomerId }) : null);
  if (!customer) return null;
  const sub = event.data.object as Stripe.Subscription;
  const priceId = row?.stripePriceId ?? (sub.items ? planItem(sub)?.price.id : null) ?? null;
  const owner = priceId ? await planOfPrice(em, priceId) : null;
  const plan = row?.plan ?? owner?.plan;
  if (!plan) return null;
  const interval = owner?.interval ?? 'month';
  return {
    subscriptionId,
    customerId: customer.id,
    email: customer.email,
    stripeSubscriptionId,
    plan: {
      planId: plan.id,
      planCode: plan.code,
      priceId: priceId ?? '',
      amountCents: pricesFor(plan, interval).amountCents ?? plan.priceMonthlyCents,
      interval,
      trialDays: plan.trialDays,
    },
  };
}

/**
 * Records a verified Stripe event durably; its id is the primary key, so a redelivery is a duplicate and
 * changes nothing. One plain statement (this is the path Stripe waits on); the event is handed to its
 * workflow afterwards (see WebhookForwarder).
 */
export async function recordStripeEvent(
  deps: Pick<CoreDeps, 'orm'>,
  event: Stripe.Event,
  /** The body as Stripe signed it; kept as is rather than serialized again. */
  payload: string = JSON.stringify(event),
): Promise<{ duplicate: boolean }> {
  const sql = sqlFor(deps.orm.em.fork());
  const inserted = await sql.run(
    `insert into webhook_events (id, type, object_id, stripe_created_at, received_at, payload)
     values (?, ?, ?, ?, ?, ?) on conflict (id) do nothing returning id`,
    [
      event.id,
      event.type,
      (event.data.object as unknown as Obj).id ?? null,
      sql.date(new Date(event.created * 1000)),
      sql.date(new Date()),
      payload,
    ],
  );
  return { duplicate: inserted.length === 0 };
}

/** A recorded event handed to its workflows, to be marked forwarded. */
export interface ForwardedMark {
  eventId: string;
  workflowIds: string | null;
}

/**
 * Signals the workflow that owns a recorded event (starting it when Stripe made the subscription). The
 * event comes from the request that recorded it, or else from its row. Throws when Temporal cannot be
 * reached; the event stays unforwarded for the next try. Returns what to mark, or null when the row is
 * gone or already forwarded.
 */
export async function forwardStripeEvent(
  deps: CoreDeps,
  eventId: string,
  recorded?: Stripe.Event,
  routes?: RouteCache,
): Promise<ForwardedMark | null> {
  const em = deps.orm.em.fork();
  let event = recorded;
  if (!event) {
    const row = await em.findOne(WebhookEvent, eventId);
    if (!row || row.forwardedAt || !row.payload) return null;
    event = JSON.parse(row.payload) as Stripe.Event;
  }
  if (isIgnoredEventType(event.type)) {
    deps.logger.debug(
      { type: event.type, id: event.id },
      'stripe event ignored: the engine does not act on this type',
    );
    return { eventId: event.id, workflowIds: null };
  }
  if (isChargeEvent(event)) return { eventId: event.id, workflowIds: await mirrorCharge(deps, event) };
  if (isDisputeEvent(event) || isRefundEvent(event)) {
    // Disputes and refunds are mirrored with their charge: the charge's run re-reads them all.
    const chargeId = str((event.data.object as unknown as Obj).charge) ?? '';
    const workflowId = await startMirrorRun(
      deps,
      'syncChargeWorkflow',
      workflowIds.chargeSync(event.id),
      chargeId,
    );
    return { eventId: event.id, workflowIds: workflowId };
  }
  if (event.type.startsWith('credit_note.')) {
    const id = (event.data.object as unknown as Obj).id ?? '';
    const workflowId = await startMirrorRun(
      deps,
      'syncCreditNoteWorkflow',
      workflowIds.creditNoteSync(event.id),
      id,
    );
    return { eventId: event.id, workflowIds: workflowId };
  }
  const owner = ownerOf(event);
  const targets = await targetsOf(em, event, owner, routes);
  const routed: string[] = [];
  for (const t of targets) {
    const signal: StripeEventSignal = {
      id: event.id,
      type: event.type,
      created: event.created,
      objectId: (event.data.object as unknown as Obj).id ?? '',
      stripeSubscriptionId: t.stripeSubscriptionId,
      hostedInvoiceUrl:
        ((event.data.object as unknown as Obj).hosted_invoice_url as string | undefined) ?? null,
    };
    if (await signalOwner(deps, em, t, signal, owner.stripeCustomerId, event)) routed.push(t.subscriptionId);
  }
  const chargeRun = await mirrorPaidInvoiceCharge(deps, event);
  if (chargeRun) routed.push(chargeRun);
  if (routed.length === 0 && event.type === 'payment_method.attached' && owner.stripeCustomerId) {
    // No live subscription to bring the card in (its run re-reads the cards): a run of its own does.
    const customer = await em.findOne(Customer, { stripeCustomerId: owner.stripeCustomerId }, LINK_ONLY);
    if (customer) {
      const workflowId = workflowIds.paymentMethodsSync(event.id);
      await startMirrorRun(deps, 'syncPaymentMethodsWorkflow', workflowId, customer.id);
      return { eventId: event.id, workflowIds: workflowId };
    }
  }
  if (routed.length === 0) deps.logger.info({ type: event.type, id: event.id }, 'stripe event not routed');
  return { eventId: event.id, workflowIds: routed.length ? routed.join(',') : null };
}

function isChargeEvent(event: Stripe.Event): boolean {
  return event.type.startsWith('charge.') && (event.data.object as unknown as Obj).object === 'charge';
}

/** `charge.refund.updated`, `refund.updated|failed`: a refund that went through, failed or was canceled. */
function isRefundEvent(event: Stripe.Event): boolean {
  const o = event.data.object as unknown as Obj;
  return /^(charge\.)?refund\./.test(event.type) && o.object === 'refund' && str(o.charge) !== null;
}

/** `charge.dispute.created|updated|closed|funds_withdrawn|funds_reinstated`, whose object is the dispute. */
function isDisputeEvent(event: Stripe.Event): boolean {
  const o = event.data.object as unknown as Obj;
  return event.type.startsWith('charge.dispute.') && o.object === 'dispute' && str(o.charge) !== null;
}

/**
 * Starts the run that mirrors the event's charge. The run re-reads the charge from Stripe rather than
 * trusting this payload, so events arriving late or out of order cannot move the mirror backwards; one
 * run per event (a redelivery after a crash finds it started) keeps a later change from being lost to
 * an earlier run that had already read the charge.
 */
async function mirrorCharge(deps: CoreDeps, event: Stripe.Event): Promise<string> {
  const chargeId = (event.data.object as unknown as Obj).id ?? '';
  return startMirrorRun(deps, 'syncChargeWorkflow', workflowIds.chargeSync(event.id), chargeId);
}

/**
 * A paid invoice's charge is mirrored from the invoice's own event too: an endpoint may not be sent charge
 * events, or one may be lost. The run is given the invoice's charge when the payload names it (older API
 * versions), else the invoice, whose charge it asks Stripe for. An invoice nothing was charged for has none.
 */
async function mirrorPaidInvoiceCharge(deps: CoreDeps, event: Stripe.Event): Promise<string | null> {
  if (event.type !== 'invoice.paid' && event.type !== 'invoice.payment_succeeded') return null;
  const invoice = event.data.object as unknown as Obj;
  if (typeof invoice.amount_paid !== 'number' || invoice.amount_paid <= 0) return null;
  const target = str(invoice.charge) ?? invoice.id;
  if (!target) return null;
  return startMirrorRun(deps, 'syncChargeWorkflow', workflowIds.chargeSync(event.id), target);
}

/** Starts a run that re-reads one Stripe object into the mirror; a run already started is left to finish. */
async function startMirrorRun(
  deps: CoreDeps,
  workflow: 'syncChargeWorkflow' | 'syncCreditNoteWorkflow' | 'syncPaymentMethodsWorkflow',
  workflowId: string,
  objectId: string,
): Promise<string> {
  try {
    await deps.temporal.workflow.start(workflowType(workflow), {
      workflowId,
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      args: [objectId],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return workflowId;
}

/** Marks forwarded events in one transaction (one commit for a burst) and drops their payloads. */
export async function markForwarded(orm: CoreDeps['orm'], marks: ForwardedMark[]): Promise<void> {
  if (marks.length === 0) return;
  await orm.em.fork().transactional(async (em) => {
    const sql = sqlFor(em);
    const at = sql.date(new Date());
    for (const m of marks) {
      await sql.run(
        'update webhook_events set forwarded_at = ?, payload = null, workflow_id = ? where id = ?',
        [at, m.workflowIds, m.eventId],
      );
    }
  });
}

/**
 * Our subscription id for a Stripe subscription id. The pair never changes once the row exists, so the
 * forwarder keeps what it has looked up (bounded) and a burst of events for one subscription costs one
 * query.
 */
export class RouteCache {
  private readonly ids = new Map<string, string>();
  constructor(private readonly max = 10_000) {}

  get(stripeSubscriptionId: string): string | undefined {
    return this.ids.get(stripeSubscriptionId);
  }

  set(stripeSubscriptionId: string, subscriptionId: string): void {
    if (this.ids.size >= this.max) this.ids.delete(this.ids.keys().next().value as string);
    this.ids.set(stripeSubscriptionId, subscriptionId);
  }
}

/**
 * Signals the subscription's workflow. Most events find it running, and a plain signal is the cheap path;
 * only when there is none does it look up what is needed to start one (signal-with-start). A late event
 * for a subscription that has ended starts nothing. Says whether a workflow got the event.
 */
async function signalOwner(
  deps: CoreDeps,
  em: EntityManager,
  t: { subscriptionId: string; stripeSubscriptionId: string | null },
  signal: StripeEventSignal,
  stripeCustomerId: string | null,
  event: Stripe.Event,
): Promise<boolean> {
  const workflowId = workflowIds.subscription(t.subscriptionId);
  try {
    await deps.temporal.workflow.getHandle(workflowId).signal(stripeEvent, signal);
    return true;
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  const sub = await em.findOne(Subscription, t.subscriptionId);
  if (sub && isFinal(sub.status)) return false;
  const start = t.stripeSubscriptionId
    ? await startInputFor(em, t.subscriptionId, t.stripeSubscriptionId, stripeCustomerId, event)
    : null;
  if (!start) {
    deps.logger.warn(
      { eventId: event.id, workflowId },
      'no workflow and not enough to start one; event recorded only',
    );
    return false;
  }
  await deps.temporal.workflow.signalWithStart(workflowType('subscriptionWorkflow'), {
    workflowId,
    taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
    args: [start],
    signal: stripeEvent,
    signalArgs: [signal],
  });
  return true;
}

async function targetsOf(
  em: EntityManager,
  event: Stripe.Event,
  owner: ReturnType<typeof ownerOf>,
  routes?: RouteCache,
): Promise<{ subscriptionId: string; stripeSubscriptionId: string | null }[]> {
  if (event.type.startsWith('payment_method.')) {
    if (!owner.stripeCustomerId) return [];
    const subs = await em.find(Subscription, {
      customer: { stripeCustomerId: owner.stripeCustomerId },
      status: { $nin: [...FINAL_STATUSES] },
    });
    return subs.map((s) => ({ subscriptionId: s.id, stripeSubscriptionId: s.stripeSubscriptionId ?? null }));
  }
  if (!owner.stripeSubscriptionId && !owner.subscriptionId) return [];
  let subscriptionId = owner.subscriptionId;
  if (!subscriptionId && owner.stripeSubscriptionId) {
    subscriptionId = routes?.get(owner.stripeSubscriptionId) ?? null;
    if (!subscriptionId) {
      const row = await em.findOne(
        Subscription,
        { stripeSubscriptionId: owner.stripeSubscriptionId },
        { fields: ['id'] },
      );
      if (row) routes?.set(owner.stripeSubscriptionId, row.id);
      // Made outside the engine: a stable id derived from Stripe's, so every later event finds the same run.
      subscriptionId = row?.id ?? `subs_stripe_${owner.stripeSubscriptionId.replace(/^sub_/, '')}`;
    }
  }
  return subscriptionId ? [{ subscriptionId, stripeSubscriptionId: owner.stripeSubscriptionId }] : [];
}
