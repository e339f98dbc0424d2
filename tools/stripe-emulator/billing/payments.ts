import type { Emulator } from '../emulator';
import { invalidRequest, StripeApiError } from '../errors';
import { newId } from '../ids';
import type { ChargeRec, CustomerRec, PaymentIntentRec, PaymentMethodRec } from '../types';
import { createCharge } from './invoices';

/** A payment intent of its own (no invoice): a one-off purchase or an off-session charge of a saved card. */
export interface PaymentSpec {
  amount: number;
  currency: string;
  customer: CustomerRec | null;
  description: string | null;
  metadata: Record<string, string>;
}

export function newPaymentIntent(emu: Emulator, spec: PaymentSpec): PaymentIntentRec {
  const pi = emu.store.put<PaymentIntentRec>({
    id: newId('pi', 24),
    object: 'payment_intent',
    amount: spec.amount,
    amount_capturable: 0,
    amount_received: 0,
    capture_method: 'automatic',
    client_secret: null,
    confirmation_method: 'automatic',
    created: emu.nowFor(spec.customer?.id ?? null),
    currency: spec.currency,
    customer: spec.customer?.id ?? null,
    description: spec.description,
    invoice: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    metadata: spec.metadata,
    next_action: null,
    payment_method: null,
    payment_method_types: ['card'],
    status: 'requires_payment_method',
  });
  pi.client_secret = `${pi.id}_secret_${newId('x', 20).slice(2)}`;
  emu.emit('payment_intent.created', pi);
  return pi;
}

/**
 * Charges a payment intent with a card, as the test card decides. A card that needs 3-D Secure cannot be
 * charged with nobody present (`offSession`): Stripe refuses it with `authentication_required` and the
 * customer must come back. Hosted pages have run the challenge already, so it pays there. A declined
 * charge throws the 402 Stripe answers, with the payment intent in the error.
 */
export function confirmPayment(
  emu: Emulator,
  pi: PaymentIntentRec,
  pm: PaymentMethodRec,
  opts: { offSession: boolean },
): PaymentIntentRec {
  if (pi.invoice) throw invalidRequest('Confirm an invoice payment by paying its invoice.');
  if (pi.status === 'succeeded') return pi;
  if (pi.status !== 'requires_payment_method' && pi.status !== 'requires_confirmation')
    throw invalidRequest(`This PaymentIntent's status is ${pi.status}; it cannot be confirmed.`);
  if (pm.customer && pi.customer && pm.customer !== pi.customer)
    throw invalidRequest('The PaymentMethod is attached to another customer.', 'payment_method');
  pi.payment_method = pm.id;
  const target = { amount: pi.amount, currency: pi.currency, customer: pi.customer, invoice: null };
  if (isDebit(pm)) return startDebit(emu, pi, pm, target);
  const declined = pm._behavior === 'decline' || pm._behavior === 'fail_charges';
  if (!declined && !(pm._behavior === 'require_action' && opts.offSession)) {
    const charge = createCharge(emu, target, pi, pm, true);
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
    pi.last_payment_error = null;
    emu.emit('charge.succeeded', charge);
    emu.emit('payment_intent.succeeded', pi);
    return pi;
  }
  const code = declined ? 'card_declined' : 'authentication_required';
  const message = declined
    ? 'Your card was declined.'
    : 'Your card was declined. This transaction requires authentication.';
  const charge = declined ? createCharge(emu, target, pi, pm, false) : null;
  pi.status = 'requires_payment_method';
  pi.last_payment_error = {
    type: 'card_error',
    code,
    decline_code: declined ? 'generic_decline' : 'authentication_required',
    message,
    ...(charge ? { charge: charge.id } : {}),
  } as PaymentIntentRec['last_payment_error'];
  if (charge) emu.emit('charge.failed', charge);
  emu.emit('payment_intent.payment_failed', pi);
  throw new StripeApiError(402, {
    type: 'card_error',
    code,
    decline_code: declined ? 'generic_decline' : 'authentication_required',
    message,
    payment_intent: emu.present(pi),
    ...(charge ? { charge: charge.id } : {}),
  });
}

const isDebit = (pm: PaymentMethodRec) => pm._behavior === 'settle' || pm._behavior === 'fail_settlement';

/**
 * A bank debit is accepted, not paid: the payment intent waits in `processing` and its charge `pending`
 * until the bank settles it (`settleDebits`), days later at Stripe.
 */
function startDebit(
  emu: Emulator,
  pi: PaymentIntentRec,
  pm: PaymentMethodRec,
  target: { amount: number; currency: string; customer: string | null; invoice: null },
): PaymentIntentRec {
  const charge = createCharge(emu, target, pi, pm, true);
  charge.status = 'pending';
  charge.paid = false;
  charge.outcome = {
    type: 'authorized',
    network_status: 'approved_by_network',
    reason: null,
    seller_message: 'Payment pending.',
  };
  pi.payment_method_types = [pm.type];
  pi.status = 'processing';
  pi.last_payment_error = null;
  emu.emit('charge.pending', charge);
  emu.emit('payment_intent.processing', pi);
  return pi;
}

/**
 * The bank's answer to every debit still `processing`: it settles (`payment_intent.succeeded`), or fails
 * (`charge.failed`, `payment_intent.payment_failed`) as Stripe's failing test accounts do. Answers how
 * many were settled or failed.
 */
export function settleDebits(emu: Emulator): { settled: number; failed: number } {
  const out = { settled: 0, failed: 0 };
  for (const pi of emu.store.all<PaymentIntentRec>('payment_intent')) {
    if (pi.status !== 'processing' || !pi.latest_charge || !pi.payment_method) continue;
    const charge = emu.store.get<ChargeRec>('charge', pi.latest_charge);
    const pm = emu.store.get<PaymentMethodRec>('payment_method', pi.payment_method);
    if (pm._behavior === 'fail_settlement') {
      charge.status = 'failed';
      charge.captured = false;
      charge.amount_captured = 0;
      charge.failure_code = 'insufficient_funds';
      charge.failure_message = 'The customer’s account has insufficient funds to cover this payment.';
      charge.outcome = {
        type: 'issuer_declined',
        network_status: 'declined_by_network',
        reason: 'insufficient_funds',
        seller_message: 'The bank returned the debit.',
      };
      pi.status = 'requires_payment_method';
      pi.last_payment_error = {
        type: 'card_error',
        code: 'insufficient_funds',
        message: charge.failure_message,
        charge: charge.id,
      } as PaymentIntentRec['last_payment_error'];
      emu.emit('charge.failed', charge);
      emu.emit('payment_intent.payment_failed', pi);
      out.failed++;
      continue;
    }
    charge.status = 'succeeded';
    charge.paid = true;
    charge.outcome = { ...charge.outcome!, seller_message: 'Payment complete.' };
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
    emu.emit('charge.succeeded', charge);
    emu.emit('payment_intent.succeeded', pi);
    out.settled++;
  }
  return out;
}
