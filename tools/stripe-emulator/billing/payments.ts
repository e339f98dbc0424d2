import type { Emulator } from '../emulator';
import { invalidRequest, StripeApiError } from '../errors';
import { newId } from '../ids';
import type { CustomerRec, PaymentIntentRec, PaymentMethodRec } from '../types';
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
