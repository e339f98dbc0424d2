import type Stripe from 'stripe';
import { syncCatalog } from '../../integrations/stripe/catalog-sync';
import type { StripeEmulator } from '../../tools/stripe-emulator';
import type { TestApi } from '../helpers/api';
import type { TestIdp } from '../helpers/auth';
import type { openTestDatabase } from '../helpers/db';
import { waitUntil } from '../helpers/eventually';
import { customerOnClock, startFullStack, type FullStack } from '../helpers/full-stack';

jest.setTimeout(180_000);

const eventually = <T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string) =>
  waitUntil(read, ok, what, 20_000, 100);

type InvoiceView = { total_cents: number; tax_cents: number; reverse_charge: boolean; currency: string };

/**
 * Stripe Tax through Checkout, the workflow and the emulator's tax table: a German consumer pays 19 % VAT on
 * top, a French business with a valid VAT number is reverse-charged, one with a malformed number is not,
 * and revenue leaves the tax out.
 */
describe('tax, end to end', () => {
  let stack: FullStack;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let idp: TestIdp;
  let emulator: StripeEmulator;
  let stripe: Stripe;
  let api: TestApi;
  let admin: string;

  beforeAll(async () => {
    stack = await startFullStack({ taskQueue: 'e2e-tax', stripeTax: true });
    ({ db, idp, emulator, stripe, api } = stack);
    admin = await idp.token({ sub: 'kc-admin', email: 'admin@example.com', roles: ['admin'] });
    const priced = await api.request('PUT', '/api/v1/subscriptions/plans/professional', {
      token: admin,
      body: { currency_prices: { eur: { price_monthly_cents: 4500, price_yearly_cents: 45000 } } },
    });
    expect(priced.status).toBe(200);
    await syncCatalog(stripe, db.orm);
  });
  afterAll(() => stack?.stop());

  /** A customer checks out professional in euros, typing the country and (maybe) a VAT number. */
  async function subscribe(name: string, details: { country?: string; vat?: string }) {
    const who = await customerOnClock(stack, name);
    const started = await api.request('POST', '/api/v1/billing/checkout/create', {
      token: who.token,
      body: { tier_id: 'professional', currency: 'eur' },
    });
    expect(started.status).toBe(200);
    const session = await stripe.checkout.sessions.retrieve(started.body.session_id);
    // Checkout was asked to collect what Stripe Tax needs.
    expect(session).toMatchObject({
      automatic_tax: { enabled: true },
      billing_address_collection: 'required',
      tax_id_collection: { enabled: true },
    });
    emulator.completeCheckoutSession(started.body.session_id, {
      cardNumber: '4242424242424242',
      ...(details.country ? { address: { country: details.country } } : {}),
      ...(details.vat ? { taxId: { type: 'eu_vat', value: details.vat } } : {}),
    });
    await eventually(who.getSub, (r) => r.body?.status === 'active', `${name}'s subscription`);
    const listed = await eventually(
      () => api.request('GET', '/api/v1/billing/invoices', { token: who.token }),
      (r) => (r.body?.invoices ?? r.body)?.length === 1,
      `${name}'s first invoice in the mirror`,
    );
    const [invoice] = (listed.body.invoices ?? listed.body) as InvoiceView[];
    const inStripe = (await stripe.invoices.list({ customer: who.stripeCustomer.id })).data[0]!;
    return { who, invoice: invoice!, inStripe, email: `${name}@example.com` };
  }

  it('adds German VAT at 19 % to a consumer’s invoice, on top of the price', async () => {
    const { invoice, inStripe, email } = await subscribe('dora-de', { country: 'DE' });
    // €45.00 + 19 % = €45.00 + €8.55.
    expect([inStripe.total_excluding_tax, inStripe.total_taxes?.[0]?.amount, inStripe.total]).toEqual([
      4500, 855, 5355,
    ]);
    expect(inStripe.total_taxes?.[0]?.taxability_reason).toBe('standard_rated');
    expect(invoice).toMatchObject({
      currency: 'eur',
      total_cents: 5355,
      tax_cents: 855,
      reverse_charge: false,
    });
    const detail = await api.request('GET', `/api/v1/admin/subscriptions/${email}`, { token: admin });
    expect(detail.body).toMatchObject({ billing_address: { country: 'DE' }, tax_ids: [] });
    expect(detail.body.recent_invoices[0]).toMatchObject({ tax_cents: 855, reverse_charge: false });
  });

  it('reverse-charges a French business with a valid VAT number', async () => {
    const { invoice, inStripe, email } = await subscribe('fabrice-fr', {
      country: 'FR',
      vat: 'FR 40 303265045',
    });
    expect([inStripe.total_excluding_tax, inStripe.total_taxes?.[0]?.amount, inStripe.total]).toEqual([
      4500, 0, 4500,
    ]);
    expect(inStripe.total_taxes?.[0]?.taxability_reason).toBe('reverse_charge');
    expect(invoice).toMatchObject({ total_cents: 4500, tax_cents: 0, reverse_charge: true });
    const detail = await api.request('GET', `/api/v1/admin/subscriptions/${email}`, { token: admin });
    expect(detail.body).toMatchObject({
      billing_address: { country: 'FR' },
      tax_ids: [{ type: 'eu_vat', value: 'FR40303265045' }],
    });
  });

  it('taxes a business whose VAT number is malformed or of another country as a consumer', async () => {
    const malformed = await subscribe('felix-fr', { country: 'FR', vat: 'FR123' });
    expect(malformed.invoice).toMatchObject({ total_cents: 5400, tax_cents: 900, reverse_charge: false });
    const foreign = await subscribe('frida-fr', { country: 'FR', vat: 'DE123456789' });
    expect(foreign.invoice).toMatchObject({ total_cents: 5400, tax_cents: 900, reverse_charge: false });
  });

  it('will not complete a taxed Checkout without the billing country', async () => {
    const who = await customerOnClock(stack, 'nobody-xx');
    const started = await api.request('POST', '/api/v1/billing/checkout/create', {
      token: who.token,
      body: { tier_id: 'professional', currency: 'eur' },
    });
    expect(() => emulator.completeCheckoutSession(started.body.session_id, {})).toThrow(/country/);
    expect(() =>
      emulator.completeCheckoutSession(started.body.session_id, { address: { country: 'Deutschland' } }),
    ).toThrow(/country/);
  });

  it('leaves tax out of revenue', async () => {
    const revenue = await api.request('GET', '/api/v1/admin/revenue?currency=eur', { token: admin });
    expect(revenue.status).toBe(200);
    // The four invoices paid above: 5,355 + 4,500 + 5,400 + 5,400 euro cents, of which 2,655 is tax.
    const paid = await db.orm.em
      .fork()
      .getConnection()
      .execute<{ paid: number; tax: number }[]>(
        "select sum(amount_paid_cents) as paid, sum(tax_cents) as tax from invoices where currency = 'eur'",
      );
    expect([Number(paid[0]!.paid), Number(paid[0]!.tax)]).toEqual([20655, 2655]);
    expect(revenue.body.collected.gross_cents).toBe(18000);
    expect(revenue.body.recent_revenue_30d_cents).toBe(18000);
  });

  it('adds tax to a credit pack bought through Checkout', async () => {
    const made = await api.request('POST', '/api/v1/admin/billing/credit-packs', {
      token: admin,
      body: {
        code: 'boost-tax',
        name: 'Boost',
        credits: 5_000,
        price_cents: 2000,
        currency_prices: { eur: 1800 },
      },
    });
    expect(made.status).toBe(201);
    const { who } = await subscribe('greta-de', { country: 'DE' });
    const bought = await api.request('POST', '/api/v1/billing/credits/purchase', {
      token: who.token,
      body: { pack_id: made.body.id },
    });
    expect(bought.status).toBe(200);
    emulator.completeCheckoutSession(bought.body.session_id, { address: { country: 'DE' } });
    const session = await stripe.checkout.sessions.retrieve(bought.body.session_id);
    // €18.00 + 19 % = €21.42.
    expect([session.amount_subtotal, session.total_details?.amount_tax, session.amount_total]).toEqual([
      1800, 342, 2142,
    ]);
  });
});
