import Stripe from 'stripe';
import { eventObject, type StripeObject } from '../../integrations/stripe/event-object';
import { expandableId } from '../../integrations/stripe/expandable-id';
import { CREDIT_PURCHASE } from '../../integrations/stripe/credit-purchase-metadata';
import { workflowIds } from '../../workflows/ids';
import type { StripeEventSignal } from '../../workflows/messages';
import { covers, progressOfInvoice } from '../../domain/invoice-progress';
import { PAYMENT_METHOD_TEXT } from '../../db/entities/payment-method';

/**
 * Where a Stripe event goes, decided from the event and the events of its object waiting behind it (no
 * lookups, no Temporal): the pure half of forwarding, so forward.ts only carries the decision out.
 */

/**
 * Event families the engine deliberately does nothing with: the catalog it syncs itself (products,
 * prices, plans, meters) and objects whose outcome reaches it through the invoice and subscription
 * events (payment intents, invoice items, customers, test clocks). Charges with their refunds and
 * disputes, and credit notes, are mirrored (see MirrorRun).
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
  'customer.deleted',
  'customer.discount.',
  'customer.tax_id.',
  'customer.source.',
  // A checkout that expired or whose delayed payment failed: nothing was made and nothing is granted (a
  // subscription's own events say what became of it).
  'checkout.session.expired',
  'checkout.session.async_payment_failed',
  // A preview of the next invoice: no id yet, nothing to mirror, nothing for the subscription to do.
  'invoice.upcoming',
  // Comes with invoice.paid (a required event) for the same payment, whose re-read and charge run it only
  // repeated: a renewal's workflow hears one of the two, and its charge is mirrored once from the invoice.
  'invoice.payment_succeeded',
];

/**
 * Events whose only work is to keep the invoice's mirror current (its subscription's workflow has nothing
 * to decide from them): they go to the invoice's mirror run, not to the workflow.
 */
const MIRROR_ONLY_INVOICE_EVENTS = new Set(['invoice.created', 'invoice.finalized']);

/**
 * A charge's events that an invoice's payment makes (a renewal's): mirrored by the invoice's run with the
 * invoice. Its later events (refunds, captures, disputes) keep the charge's own run, where a credit
 * purchase's credits are taken back.
 */
const INVOICE_PAYMENT_CHARGE_EVENTS = new Set(['charge.succeeded', 'charge.failed', 'charge.pending']);

/** Whether the engine ignores this type of event on purpose (so it is not reported as unrouted). */
export function isIgnoredEventType(type: string): boolean {
  return IGNORED_EVENT_PREFIXES.some((p) => (p.endsWith('.') ? type.startsWith(p) : type === p));
}

/**
 * A run that re-reads one Stripe object into the mirror. The run re-reads it from Stripe rather than
 * trusting the payload, so events arriving late or out of order cannot move the mirror backwards; one run
 * per event (a redelivery after a crash finds it started) keeps a later change from being lost to an
 * earlier run that had already read the object.
 */
export interface MirrorRun {
  workflow:
    | 'syncChargeWorkflow'
    | 'syncCreditNoteWorkflow'
    | 'syncInvoiceWorkflow'
    | 'mirrorInvoiceWorkflow'
    | 'readCardsWorkflow'
    | 'creditPurchaseWorkflow';
  workflowId: string;
  objectId: string;
  /**
   * One run per object at a time (charges and invoices): a run in progress is told to read once more
   * (signal-with-start), so a burst of the object's events costs one or two reads, not one each.
   */
  perObject?: true;
}

/** Where an event belongs: the Stripe subscription and, when Stripe carries it, our subscription id. */
export interface EventOwner {
  stripeSubscriptionId: string | null;
  subscriptionId: string | null;
  stripeCustomerId: string | null;
}

export type StripeEventRoute =
  | { kind: 'ignored' }
  /**
   * The card that pays changed in Stripe (the customer's invoice default, as the billing portal sets it):
   * a run reads the customer's cards, so the mirror, and the card the engine's own invoices are charged
   * with, follow. No card event comes with it.
   */
  | { kind: 'cards'; stripeCustomerId: string }
  /**
   * An invoice's copy that a later event of the invoice, already received and waiting behind it, writes
   * over and announces in full (`supersededBy`): the mirror ends where it would have, one write sooner.
   */
  | { kind: 'superseded'; by: string }
  /**
   * Mirrored only: charges (with their refunds and disputes), credit notes, an invoice's created and
   * finalized and its payment's charge.
   */
  | {
      kind: 'mirror';
      run: MirrorRun;
      /**
       * The event carries all the mirror needs (see `payloadMirrors`): the intake writes it from the payload,
       * and the run is only started when it cannot (the customer not mirrored yet, or the write failed).
       */
      fromPayload?: true;
    }
  /**
   * Signalled to the subscriptions it concerns. A paid invoice is also mirrored, from the payload or by its
   * invoice's run (which mirrors its charge too); a card attached while no live subscription takes the event
   * is mirrored from its payload when it is the customer's first (`cardFromPayload`), else by a run of its
   * own (`cardsOf`, the Stripe customer).
   */
  | {
      kind: 'subscriptions';
      owner: EventOwner;
      cardsOf: string | null;
      /** The invoice's mirror run: started when no live subscription takes the event, or `always`. */
      invoiceOf: MirrorRun | null;
      /**
       * invoice.paid: the subscription's workflow reads the invoice only when it is in dunning, so the
       * mirror run records every paid invoice.
       */
      always: boolean;
      /**
       * invoice.paid matters to a subscription's workflow only for an invoice in dunning, which needs a
       * payment of it reported failed first: the invoice to ask that of, or null to signal whatever.
       */
      signalIfFailedBefore: string | null;
      /** The paid invoice in the payload is all its mirror needs: the intake writes it, not a run. */
      invoiceFromPayload?: true;
      /** The attached card in the payload is well-formed (`cardPayloadMirrors`): a first card is written from it. */
      cardFromPayload?: true;
    };

/**
 * What a recorded event's row says of an event a later one superseded, followed by that event's id, in place
 * of the workflow ids it was handed to.
 */
export const SUPERSEDED_BY = 'superseded-by:';

/**
 * Where an event goes. `waiting` are the events of the same Stripe object received after it and not yet
 * handled: during a backlog a burst of one invoice's events (created, finalized, paid) is then written once.
 */
export function routeOf(event: Stripe.Event, waiting: readonly Stripe.Event[] = []): StripeEventRoute {
  const route = routeAlone(event);
  if (route.kind !== 'mirror' || !route.fromPayload) return route;
  const by = waiting.find((later) => supersededBy(event, later));
  return by ? { kind: 'superseded', by: by.id } : route;
}

/**
 * Whether handling `later` leaves nothing for `earlier` to do: both are copies of one invoice the intake
 * writes from their payloads (an invoice.paid is always mirrored, besides any signal), and the later copy
 * covers the earlier (domain/invoice-progress.ts). Stripe may deliver out of order, so the order received
 * proves nothing: a later invoice.finalized does not stand in for an earlier invoice.paid.
 */
export function supersededBy(earlier: Stripe.Event, later: Stripe.Event): boolean {
  const e = eventObject(earlier);
  const l = eventObject(later);
  if (e.object !== 'invoice' || l.object !== 'invoice' || typeof e.id !== 'string' || l.id !== e.id)
    return false;
  const er = routeAlone(earlier);
  const lr = routeAlone(later);
  const writesEarlier = er.kind === 'mirror' && er.fromPayload === true;
  const writesLater =
    (lr.kind === 'mirror' && lr.fromPayload === true) ||
    (lr.kind === 'subscriptions' && lr.always && lr.invoiceFromPayload === true);
  // Both payloads passed `payloadMirrors`: their status is text and their counts whole numbers.
  return writesEarlier && writesLater && covers(progressOfInvoice(l as never), progressOfInvoice(e as never));
}

function routeAlone(event: Stripe.Event): StripeEventRoute {
  if (isIgnoredEventType(event.type)) return { kind: 'ignored' };
  const o = eventObject(event);
  // Of a customer's changes, only the card that pays is the engine's (their balance, address and the rest not).
  if (event.type === 'customer.updated')
    return o.object === 'customer' && o.id && changesPayingCard(event, o)
      ? { kind: 'cards', stripeCustomerId: o.id }
      : { kind: 'ignored' };
  if (event.type.startsWith('charge.') && o.object === 'charge') {
    // An invoice's payment: its invoice's run mirrors the charge with the invoice, one run for the renewal.
    const invoiceId = expandableId(o.invoice);
    if (invoiceId && INVOICE_PAYMENT_CHARGE_EVENTS.has(event.type))
      return { kind: 'mirror', run: invoiceRun(invoiceId), ...fromPayload(event, o) };
    return { kind: 'mirror', run: chargeRun(o.id ?? '') };
  }
  if (isDisputeEvent(event.type, o) || isRefundEvent(event.type, o)) {
    // Disputes and refunds are mirrored with their charge: the charge's run re-reads them all.
    return { kind: 'mirror', run: chargeRun(expandableId(o.charge) ?? '') };
  }
  if (isCreditPurchase(event.type, o)) {
    // One run per session, whichever of its events comes first: it grants once.
    const run: MirrorRun = {
      workflow: 'creditPurchaseWorkflow',
      workflowId: workflowIds.creditPurchase(o.id ?? ''),
      objectId: o.id ?? '',
    };
    return { kind: 'mirror', run };
  }
  if (MIRROR_ONLY_INVOICE_EVENTS.has(event.type) && o.object === 'invoice' && o.id) {
    return { kind: 'mirror', run: invoiceRun(o.id), ...fromPayload(event, o) };
  }
  if (event.type.startsWith('credit_note.')) {
    const run: MirrorRun = {
      workflow: 'syncCreditNoteWorkflow',
      workflowId: workflowIds.creditNoteSync(event.id),
      objectId: o.id ?? '',
    };
    return { kind: 'mirror', run };
  }
  const owner = ownerOf(event.type, o);
  return {
    kind: 'subscriptions',
    owner,
    cardsOf: event.type === 'payment_method.attached' ? owner.stripeCustomerId : null,
    invoiceOf: event.type.startsWith('invoice.') && o.object === 'invoice' && o.id ? invoiceRun(o.id) : null,
    always: event.type === 'invoice.paid',
    signalIfFailedBefore: event.type === 'invoice.paid' && o.id ? o.id : null,
    ...(event.type === 'invoice.paid' && payloadMirrors(event, o)
      ? { invoiceFromPayload: true as const }
      : {}),
    ...(event.type === 'payment_method.attached' && cardPayloadMirrors(event, o)
      ? { cardFromPayload: true as const }
      : {}),
  };
}

/** Whether a customer's update moved their invoice default (what else changed, their balance say, is not the engine's). */
function changesPayingCard(event: Stripe.Event, o: StripeObject): boolean {
  const previous = (event.data.previous_attributes as { invoice_settings?: unknown } | undefined)
    ?.invoice_settings;
  if (typeof previous !== 'object' || previous === null || !('default_payment_method' in previous))
    return false;
  const now = (o as { invoice_settings?: { default_payment_method?: unknown } | null }).invoice_settings;
  return expandableId(previous.default_payment_method) !== expandableId(now?.default_payment_method);
}

/**
 * Whether an attached card's payload holds all a new card's row needs, in the API version the engine reads:
 * its customer, type, brand, last four digits, expiry and fingerprint, each of the kind the row keeps.
 * Whether it is the card that pays is not in it (the customer's invoice default is not), so only a card the
 * mirror does not know yet, of a customer with no other card, is written from it (db/mirror/payment-methods.ts).
 */
export function cardPayloadMirrors(event: Stripe.Event, o: StripeObject = eventObject(event)): boolean {
  if (event.api_version !== Stripe.API_VERSION || o.object !== 'payment_method') return false;
  if (!fits(o.id, 255) || !fits(o.customer, 255) || !fits(o.type, PAYMENT_METHOD_TEXT.type)) return false;
  if (o.card == null) return true;
  if (typeof o.card !== 'object' || Array.isArray(o.card)) return false;
  const card = o.card as Record<string, unknown>;
  return (
    Object.entries(CARD_TEXT).every(([k, max]) => card[k] == null || fits(card[k], max)) &&
    CARD_NUMBERS.every((k) => card[k] == null || isWhole(card[k], 0))
  );
}

/**
 * Text a column of `max` characters keeps as sent. PostgreSQL's text holds no NUL: a card with one is read
 * from Stripe, whose cards have none.
 */
const fits = (v: unknown, max: number): v is string => isText(v) && v.length <= max && !v.includes('\u0000');

/** A card's fields the mirror keeps as text, with their columns' lengths, and as whole numbers. */
const CARD_TEXT: Record<string, number> = {
  brand: PAYMENT_METHOD_TEXT.brand,
  last4: PAYMENT_METHOD_TEXT.last4,
  fingerprint: PAYMENT_METHOD_TEXT.fingerprint,
};
const CARD_NUMBERS = ['exp_month', 'exp_year'] as const;

/**
 * Whether an event's payload is all the mirror needs, so the intake writes it without a read of Stripe or a
 * run: an invoice's or its payment's charge as Stripe sent it, in the API version the engine reads (another
 * version's objects have other fields), with nothing the mirror would have to expand (an invoice's
 * discounts name their coupons only when read expanded) and, for a charge, nothing refunded or disputed
 * (whose mirror reads the refunds and the dispute). Payloads arrive late and out of order: the mirror's
 * writes never move an invoice or a charge backwards, so an older payload changes nothing.
 */
export function payloadMirrors(event: Stripe.Event, o: StripeObject = eventObject(event)): boolean {
  if (event.api_version !== Stripe.API_VERSION || typeof o.id !== 'string') return false;
  // The mirror keeps these as text: anything else in their place, or text that is not well-formed Unicode
  // (a lone surrogate a column would not keep as sent), is left to a read of Stripe.
  if (!isText(o.status) || !isText(o.currency)) return false;
  if (o.object === 'invoice') {
    if (!INVOICE_TEXT.every((k) => o[k] == null || isText(o[k]))) return false;
    const discounts = (o.discounts ?? []) as unknown[];
    return (
      Array.isArray(discounts) &&
      discounts.every((d) => typeof d === 'object' && d !== null) &&
      INVOICE_TOTALS.every((k) => isWhole(o[k], -MAX_COLUMN)) &&
      INVOICE_COUNTS.every((k) => isWhole(o[k], 0))
    );
  }
  if (o.object === 'charge') {
    const card = (o.payment_method_details as { card?: Record<string, unknown> } | null | undefined)?.card;
    const text = [o.description, o.failure_code, card?.brand, card?.last4];
    return (
      o.disputed === false &&
      o.amount_refunded === 0 &&
      isWhole(o.amount, 0) &&
      text.every((v) => v == null || isText(v))
    );
  }
  return false;
}

/** An invoice's fields the mirror keeps as text, besides its status and currency. */
const INVOICE_TEXT = ['number', 'hosted_invoice_url', 'invoice_pdf', 'billing_reason'] as const;

/** A lone surrogate, which a column does not keep as sent (a pair is one code point to the `u` flag). */
const LONE_SURROGATE = /\p{Cs}/u;
const isText = (v: unknown): v is string => typeof v === 'string' && !LONE_SURROGATE.test(v);

/** An invoice's totals, negative when its credits exceed its charges (a downgrade's proration). */
const INVOICE_TOTALS = ['subtotal', 'total'] as const;
/** What is due, paid and tried: never negative. */
const INVOICE_COUNTS = ['amount_due', 'amount_paid', 'attempt_count'] as const;
/** The mirror's money and count columns are 32-bit integers. */
const MAX_COLUMN = 2_147_483_647;

/**
 * A whole number from `min` up to what the column holds, as in any payload Stripe sends: anything else
 * (fractional, too large, a string, absent) is left to a read of Stripe by the object's run.
 */
function isWhole(v: unknown, min: number): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= MAX_COLUMN;
}

function fromPayload(event: Stripe.Event, o: StripeObject): { fromPayload?: true } {
  return payloadMirrors(event, o) ? { fromPayload: true } : {};
}

/** The run that re-reads a customer's cards, for a card no live subscription brought in. */
export function cardsRun(event: Stripe.Event, customerId: string): MirrorRun {
  return {
    workflow: 'readCardsWorkflow',
    workflowId: workflowIds.paymentMethodsSync(event.id),
    objectId: customerId,
  };
}

/** What a subscription's workflow is told of the event. */
export function subscriptionSignal(
  event: Stripe.Event,
  stripeSubscriptionId: string | null,
): StripeEventSignal {
  const o = eventObject(event);
  return {
    id: event.id,
    type: event.type,
    created: event.created,
    objectId: o.id ?? '',
    stripeSubscriptionId,
    hostedInvoiceUrl: (o.hosted_invoice_url as string | undefined) ?? null,
  };
}

function chargeRun(chargeId: string): MirrorRun {
  return {
    workflow: 'syncChargeWorkflow',
    workflowId: workflowIds.chargeMirror(chargeId),
    objectId: chargeId,
    perObject: true,
  };
}

function invoiceRun(invoiceId: string): MirrorRun {
  return {
    workflow: 'mirrorInvoiceWorkflow',
    workflowId: workflowIds.invoiceMirror(invoiceId),
    objectId: invoiceId,
    perObject: true,
  };
}

/**
 * A credit pack's Checkout session paid (at once, or later for a delayed payment method): the engine's
 * metadata marks it; subscription checkouts never carry it.
 */
function isCreditPurchase(type: string, o: StripeObject): boolean {
  if (type !== 'checkout.session.completed' && type !== 'checkout.session.async_payment_succeeded')
    return false;
  const meta = (o.metadata ?? {}) as Record<string, string>;
  return o.mode === 'payment' && meta.kind === CREDIT_PURCHASE && typeof o.id === 'string';
}

/** `charge.refund.updated`, `refund.updated|failed`: a refund that went through, failed or was canceled. */
function isRefundEvent(type: string, o: StripeObject): boolean {
  return /^(charge\.)?refund\./.test(type) && o.object === 'refund' && expandableId(o.charge) !== null;
}

/** `charge.dispute.created|updated|closed|funds_withdrawn|funds_reinstated`, whose object is the dispute. */
function isDisputeEvent(type: string, o: StripeObject): boolean {
  return type.startsWith('charge.dispute.') && o.object === 'dispute' && expandableId(o.charge) !== null;
}

function ownerOf(type: string, o: StripeObject): EventOwner {
  const meta = (o.metadata ?? {}) as Record<string, string>;
  if (type.startsWith('customer.subscription.')) {
    return {
      stripeSubscriptionId: expandableId(o.id),
      subscriptionId: meta.subscription_id ?? null,
      stripeCustomerId: expandableId(o.customer),
    };
  }
  if (type === 'checkout.session.completed') {
    return {
      stripeSubscriptionId: expandableId(o.subscription),
      subscriptionId: meta.subscription_id ?? (o.client_reference_id as string | null) ?? null,
      stripeCustomerId: expandableId(o.customer),
    };
  }
  if (type.startsWith('invoice.')) {
    const details = ((o.parent as StripeObject | null)?.subscription_details ?? null) as StripeObject | null;
    return {
      stripeSubscriptionId: expandableId(details?.subscription) ?? expandableId(o.subscription),
      subscriptionId: ((details?.metadata ?? {}) as Record<string, string>).subscription_id ?? null,
      stripeCustomerId: expandableId(o.customer),
    };
  }
  return { stripeSubscriptionId: null, subscriptionId: null, stripeCustomerId: expandableId(o.customer) };
}
