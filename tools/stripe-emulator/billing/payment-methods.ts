import { createHash } from 'node:crypto';
import { cardForNumber, cardForToken, type TestCard } from '../cards';
import type { Emulator } from '../emulator';
import { cardDeclined, invalidRequest, noSuch, StripeApiError } from '../errors';
import { newId } from '../ids';
import type { CustomerRec, PaymentMethodRec } from '../types';

export function createCardPaymentMethod(
  emu: Emulator,
  card: TestCard,
  opts: { expMonth?: number; expYear?: number; name?: string | null; email?: string | null } = {},
): PaymentMethodRec {
  return emu.store.put<PaymentMethodRec>({
    id: newId('pm', 24),
    object: 'payment_method',
    billing_details: {
      address: null,
      email: opts.email ?? null,
      name: opts.name ?? null,
      phone: null,
      tax_id: null,
    },
    card: {
      brand: card.brand,
      checks: null,
      country: 'US',
      display_brand: card.brand,
      exp_month: opts.expMonth ?? 12,
      exp_year: opts.expYear ?? new Date().getUTCFullYear() + 3,
      fingerprint: createHash('sha256').update(card.number).digest('hex').slice(0, 16),
      funding: card.funding,
      generated_from: null,
      last4: card.number.slice(-4),
      networks: null,
      regulated_status: null,
      wallet: null,
    },
    created: emu.realNow(),
    customer: null,
    livemode: false,
    metadata: {},
    type: 'card',
    _behavior: card.behavior,
  });
}

export function cardFromNumber(number: string, param = 'card[number]'): TestCard {
  const card = cardForNumber(number);
  if (!card) {
    throw new StripeApiError(402, {
      type: 'card_error',
      code: 'incorrect_number',
      message: 'Your card number is incorrect.',
      param,
    });
  }
  return card;
}

/** A payment method id, or one of Stripe's test shortcuts (`pm_card_visa`), which mint a fresh method. */
export function resolvePaymentMethod(emu: Emulator, ref: string, param = 'payment_method'): PaymentMethodRec {
  const card = cardForToken(ref);
  if (card) return createCardPaymentMethod(emu, card);
  const rec = emu.store.find(ref);
  if (!rec || rec.object !== 'payment_method') throw noSuch('PaymentMethod', ref, param);
  return rec as PaymentMethodRec;
}

/** Attaching runs the card check Stripe runs, so a card that always declines fails here. */
export function attachPaymentMethod(
  emu: Emulator,
  pm: PaymentMethodRec,
  customer: CustomerRec,
): PaymentMethodRec {
  if (pm.customer === customer.id) return pm;
  if (pm.customer) {
    throw invalidRequest(
      'The payment method you provided has already been attached to a customer.',
      'payment_method',
      'payment_method_unexpected_state',
    );
  }
  if (pm._behavior === 'decline') throw cardDeclined('generic_decline', 'Your card was declined.');
  pm.customer = customer.id;
  emu.emit('payment_method.attached', pm);
  return pm;
}

export function detachPaymentMethod(emu: Emulator, pm: PaymentMethodRec): PaymentMethodRec {
  if (!pm.customer) {
    throw invalidRequest(
      'The payment method you provided is not attached to a customer so detachment is impossible.',
      'payment_method',
      'payment_method_unexpected_state',
    );
  }
  const customer = emu.store.find(pm.customer) as CustomerRec | undefined;
  if (customer?.invoice_settings.default_payment_method === pm.id) {
    customer.invoice_settings.default_payment_method = null;
  }
  const previous = { customer: pm.customer };
  pm.customer = null;
  emu.emit('payment_method.detached', pm, previous);
  return pm;
}
