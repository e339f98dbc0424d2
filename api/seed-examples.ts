/**
 * Answers as the API contract documents show them, by `METHOD /api/v1/path`. /openapi.json lays each over
 * the example it makes from the route's schema, so the fields the contract shows carry its values and the
 * engine's extra fields (cents, ids, cursors) keep theirs; a test parses the result with the route's own
 * schema, so a value here that the engine would never send fails the suite.
 */
export const SEED_RESPONSE_EXAMPLES: Record<string, unknown> = {
  'get /api/v1/billing/subscription': {
    tier: 'professional',
    status: 'active',
    current_period_start: '2025-09-08T00:00:00.000Z',
    current_period_end: '2025-10-08T00:00:00.000Z',
    cancel_at_period_end: false,
    amount: 49,
    interval: 'month',
    currency: 'usd',
  },
  'get /api/v1/billing/invoices': [
    {
      id: 'in_1QxExampleInvoice',
      number: 'INV-2025-0001',
      amount_due: 49,
      amount_paid: 49,
      currency: 'usd',
      status: 'paid',
      created: '2025-09-08T00:00:00.000Z',
      due_date: '2025-09-15T00:00:00.000Z',
      paid: true,
    },
  ],
  'get /api/v1/billing/payment-methods': [
    {
      id: 'pm_1QxExampleCard',
      type: 'card',
      card: { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2026 },
      created: '2025-09-08T00:00:00.000Z',
    },
  ],
  'get /api/v1/billing/usage': {
    usage: {
      today: { inference: 15, embedding: 5, tts: 0, stt: 0 },
      month: { inference: 450, embedding: 120, tts: 10, stt: 5 },
    },
    credits: {
      tier: 'professional',
      included_credits: 500,
      used: 585,
      remaining: 0,
      overage: 85,
      overage_cost: 0.17,
      price_per_1k: 2,
    },
    tier: 'professional',
  },
  'get /api/v1/admin/billing/stats': {
    total_customers: 150,
    active_subscriptions: 120,
    trial_subscriptions: 10,
    monthly_revenue: 5880,
    tier_breakdown: {
      trial: { count: 10, revenue: 0 },
      starter: { count: 30, revenue: 570 },
      professional: { count: 70, revenue: 3430 },
      enterprise: { count: 10, revenue: 990 },
    },
  },
  'get /api/v1/admin/billing/customers': {
    customers: [
      {
        id: 'cus_QxExampleCustomer',
        email: 'user@example.com',
        name: 'John Doe',
        created: '2025-09-01T00:00:00.000Z',
      },
    ],
    total: 150,
  },
  'get /api/v1/admin/billing/subscriptions': {
    subscriptions: [
      {
        tier: 'professional',
        status: 'active',
        amount: 49,
        currency: 'usd',
        interval: 'month',
        current_period_end: '2025-10-08T00:00:00.000Z',
        cancel_at_period_end: false,
      },
    ],
    total: 120,
  },
  'get /api/v1/admin/billing/recent-charges': {
    charges: [
      {
        amount: 49,
        currency: 'usd',
        status: 'succeeded',
        description: 'Professional subscription',
        created: '2025-09-08T00:00:00.000Z',
        paid: true,
        refunded: false,
      },
    ],
    total: 20,
  },
  'post /api/v1/stripe/create_customer': {
    stripe_customer_id: 'cus_QxExampleCustomer',
    email: 'user@example.com',
    created: true,
  },
};

/**
 * `seed` laid over `made`: objects key by key (keys only the seed has are dropped, as the engine's
 * schema decides what exists), arrays item by item on the made example's first item, anything else the
 * seed's value when the made example has one there.
 */
export function overlayExample(made: unknown, seed: unknown): unknown {
  if (seed === undefined) return made;
  if (Array.isArray(made) && Array.isArray(seed)) {
    const template = made[0];
    return template === undefined ? made : seed.map((item) => overlayExample(template, item));
  }
  if (isObject(made) && isObject(seed)) {
    const out: Record<string, unknown> = { ...made };
    for (const key of Object.keys(made)) out[key] = overlayExample(made[key], seed[key]);
    return out;
  }
  if (isObject(made) || Array.isArray(made)) return made;
  return seed;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
