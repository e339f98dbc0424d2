import { createHash } from 'node:crypto';
import { cardForNumber, cardForToken, type TestCard } from '../cards';
import type { Emulator } from '../emulator';
import { cardDeclined, invalidRequest, noSuch, StripeApiError } from '../errors';
import { newId } from '../ids';
import type { CustomerRec, DebitBehavior, PaymentMethodRec } from '../types';

/** What the payer typed about themself: only a name and an email here. */
function billingDetails(who: {
  name?: string | null;
  email?: string | null;
}): PaymentMethodRec['billing_details'] {
  return { address: null, email: who.email ?? null, name: who.name ?? null, phone: null, tax_id: null };
}

export function createCardPaymentMethod(
  emu: Emulator,
  card: TestCard,
  opts: { expMonth?: number; expYear?: number; name?: string | null; email?: string | null } = {},
): PaymentMethodRec {
  return emu.store.put<PaymentMethodRec>({
    id: newId('pm', 24),
    object: 'payment_method',
    billing_details: billingDetails(opts),
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

/**
 * Stripe's test bank accounts: a debit from these fails days later (SEPA's `…3001` IBANs, the ACH account
 * `000111111113`); any other valid account settles.
 */
const FAILING_IBAN = /3001$/;
const FAILING_ACH_ACCOUNT = '000111111113';

const fingerprintOf = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

/** A bank-debit payment method of either type, with the details that type carries. */
function putBankMethod(
  emu: Emulator,
  details:
    | { type: 'sepa_debit'; sepa_debit: NonNullable<PaymentMethodRec['sepa_debit']> }
    | { type: 'us_bank_account'; us_bank_account: NonNullable<PaymentMethodRec['us_bank_account']> },
  behavior: DebitBehavior,
  who: { name?: string | null; email?: string | null },
): PaymentMethodRec {
  return emu.store.put<PaymentMethodRec>({
    id: newId('pm', 24),
    object: 'payment_method',
    billing_details: billingDetails(who),
    created: emu.realNow(),
    customer: null,
    livemode: false,
    metadata: {},
    ...details,
    _behavior: behavior,
  });
}

/** A SEPA Direct Debit mandate's method, from an IBAN; its payments wait in `processing` until they settle. */
export function createSepaDebitPaymentMethod(
  emu: Emulator,
  rawIban: string,
  opts: { name?: string | null; email?: string | null } = {},
): PaymentMethodRec {
  const iban = rawIban.replace(/\s/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban))
    throw invalidRequest(
      'The IBAN you provided is invalid.',
      'sepa_debit[iban]',
      'invalid_bank_account_iban',
    );
  const sepa = {
    bank_code: iban.slice(4, 12),
    branch_code: '',
    country: iban.slice(0, 2),
    fingerprint: fingerprintOf(iban),
    generated_from: null,
    last4: iban.slice(-4),
  };
  const behavior = FAILING_IBAN.test(iban) ? 'fail_settlement' : 'settle';
  return putBankMethod(emu, { type: 'sepa_debit', sepa_debit: sepa }, behavior, opts);
}

/** A US bank account (ACH Direct Debit); its payments wait in `processing` until they settle. */
export function createUsBankAccountPaymentMethod(
  emu: Emulator,
  account: { accountNumber: string; routingNumber: string; holderType?: 'individual' | 'company' },
  opts: { name?: string | null; email?: string | null } = {},
): PaymentMethodRec {
  if (!/^\d{4,17}$/.test(account.accountNumber))
    throw invalidRequest('Invalid account number.', 'us_bank_account[account_number]');
  if (!/^\d{9}$/.test(account.routingNumber))
    throw invalidRequest('Routing number must have 9 digits.', 'us_bank_account[routing_number]');
  const bank = {
    account_holder_type: account.holderType ?? 'individual',
    account_type: 'checking' as const,
    bank_name: 'STRIPE TEST BANK',
    fingerprint: fingerprintOf(`${account.routingNumber}:${account.accountNumber}`),
    last4: account.accountNumber.slice(-4),
    routing_number: account.routingNumber,
  };
  const behavior = account.accountNumber === FAILING_ACH_ACCOUNT ? 'fail_settlement' : 'settle';
  return putBankMethod(emu, { type: 'us_bank_account', us_bank_account: bank }, behavior, opts);
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
