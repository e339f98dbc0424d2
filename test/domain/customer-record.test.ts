import { needsOnboarding, type CustomerFields } from '../../domain/customer-record';

const wanted: CustomerFields = { email: 'ada@example.com', name: 'Ada', roles: ['viewer'] };
const stored = { ...wanted, stripeCustomerId: 'cus_1' };

describe('whether a caller needs the onboarding workflow', () => {
  it.each<[string, Parameters<typeof needsOnboarding>[0], CustomerFields, boolean, boolean]>([
    ['no record yet', null, wanted, false, true],
    ['the record holds what the identity says', stored, wanted, true, false],
    [
      'Stripe not configured, no Stripe customer',
      { ...stored, stripeCustomerId: null },
      wanted,
      false,
      false,
    ],
    ['Stripe configured, no Stripe customer yet', { ...stored, stripeCustomerId: null }, wanted, true, true],
    ['another email', stored, { ...wanted, email: 'ada@example.org' }, true, true],
    ['an email in other case', stored, { ...wanted, email: 'Ada@example.com' }, true, true],
    ['another name', stored, { ...wanted, name: 'Ada L.' }, true, true],
    ['a name now gone', stored, { ...wanted, name: null }, true, true],
    ['a role more', stored, { ...wanted, roles: ['viewer', 'admin'] }, true, true],
    ['a role fewer', stored, { ...wanted, roles: [] }, true, true],
    [
      'the same roles in another order',
      { ...stored, roles: ['a', 'b'] },
      { ...wanted, roles: ['b', 'a'] },
      true,
      true,
    ],
  ])('%s', (_, record, identity, withStripe, expected) => {
    expect(needsOnboarding(record, identity, withStripe)).toBe(expected);
  });
});
