import type { CardBehavior } from './types';

export interface TestCard {
  number: string;
  brand: string;
  behavior: CardBehavior;
  funding: string;
}

/** Stripe's documented test cards and the `pm_card_*` / `tok_*` shortcuts that name them. */
export const TEST_CARDS: Record<string, TestCard> = {
  '4242424242424242': { number: '4242424242424242', brand: 'visa', behavior: 'succeed', funding: 'credit' },
  '4000056655665556': { number: '4000056655665556', brand: 'visa', behavior: 'succeed', funding: 'debit' },
  '5555555555554444': {
    number: '5555555555554444',
    brand: 'mastercard',
    behavior: 'succeed',
    funding: 'credit',
  },
  '378282246310005': { number: '378282246310005', brand: 'amex', behavior: 'succeed', funding: 'credit' },
  '4000000000000002': { number: '4000000000000002', brand: 'visa', behavior: 'decline', funding: 'credit' },
  '4000000000000341': {
    number: '4000000000000341',
    brand: 'visa',
    behavior: 'fail_charges',
    funding: 'credit',
  },
  '4000002500003155': {
    number: '4000002500003155',
    brand: 'visa',
    behavior: 'require_action',
    funding: 'credit',
  },
  '4000002760003184': {
    number: '4000002760003184',
    brand: 'visa',
    behavior: 'require_action',
    funding: 'credit',
  },
};

const TOKENS: Record<string, string> = {
  visa: '4242424242424242',
  visa_debit: '4000056655665556',
  mastercard: '5555555555554444',
  amex: '378282246310005',
  chargeDeclined: '4000000000000002',
  chargeCustomerFail: '4000000000000341',
  authenticationRequired: '4000002500003155',
  threeDSecure2Required: '4000002760003184',
};

/** `pm_card_visa` or `tok_visa` → the test card they stand for. */
export function cardForToken(token: string): TestCard | undefined {
  const m = /^(?:pm_card_|tok_)(\w+)$/.exec(token);
  const number = m ? TOKENS[m[1] ?? ''] : undefined;
  return number ? TEST_CARDS[number] : undefined;
}

export function luhnValid(number: string): boolean {
  if (!/^\d{12,19}$/.test(number)) return false;
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let d = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Any Luhn-valid number not in the table behaves like 4242…, as Stripe's test mode does. */
export function cardForNumber(raw: string): TestCard | undefined {
  const number = raw.replace(/[\s-]/g, '');
  const known = TEST_CARDS[number];
  if (known) return known;
  if (!luhnValid(number)) return undefined;
  const brand = number.startsWith('4') ? 'visa' : number.startsWith('5') ? 'mastercard' : 'unknown';
  return { number, brand, behavior: 'succeed', funding: 'credit' };
}
