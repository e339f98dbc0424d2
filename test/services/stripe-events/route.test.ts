import fc from 'fast-check';
import Stripe from 'stripe';
import { covers } from '../../../domain/invoice-progress';
import { expandableId } from '../../../integrations/stripe/expandable-id';
import {
  cardPayloadMirrors,
  payloadMirrors,
  routeOf,
  subscriptionSignal,
  supersededBy,
} from '../../../services/stripe-events/route';

const event = (type: string, object: Record<string, unknown>): Stripe.Event =>
  ({ id: 'evt_1', type, created: 1_700_000_000, data: { object } }) as unknown as Stripe.Event;

const parent = { subscription_details: { subscription: 'sub_3', metadata: { subscription_id: 'subs_3' } } };

describe('where a Stripe event goes', () => {
  it.each([
    ['a catalog event', 'price.updated', { id: 'price_1', object: 'price' }],
    [
      'a new refund (charge.refunded mirrors it)',
      'refund.created',
      { id: 're_1', object: 'refund', charge: 'ch_1' },
    ],
    ['a customer update', 'customer.updated', { id: 'cus_1', object: 'customer' }],
    // A renewal's chatter: a preview with nothing to mirror, and the twin of invoice.paid, whose re-read
    // and charge run it only repeated.
    ['the next invoice previewed', 'invoice.upcoming', { object: 'invoice', customer: 'cus_1', parent }],
    [
      'a payment that invoice.paid also reports',
      'invoice.payment_succeeded',
      { id: 'in_1', object: 'invoice', amount_paid: 500, charge: 'ch_9', parent },
    ],
  ])('%s is ignored', (_what, type, object) => {
    expect(routeOf(event(type, object))).toEqual({ kind: 'ignored' });
  });

  it.each([
    [
      'a charge',
      'charge.succeeded',
      { id: 'ch_1', object: 'charge' },
      'syncChargeWorkflow',
      'charge-mirror-ch_1',
      'ch_1',
    ],
    [
      'a dispute, by its charge',
      'charge.dispute.created',
      { id: 'dp_1', object: 'dispute', charge: 'ch_2' },
      'syncChargeWorkflow',
      'charge-mirror-ch_2',
      'ch_2',
    ],
    [
      'a refund change, by its expanded charge',
      'refund.updated',
      { id: 're_1', object: 'refund', charge: { id: 'ch_3' } },
      'syncChargeWorkflow',
      'charge-mirror-ch_3',
      'ch_3',
    ],
    [
      'a new invoice (nothing for its subscription to decide)',
      'invoice.created',
      { id: 'in_1', object: 'invoice', customer: 'cus_1', parent },
      'mirrorInvoiceWorkflow',
      'invoice-mirror-in_1',
      'in_1',
    ],
    [
      'a finalized invoice',
      'invoice.finalized',
      { id: 'in_2', object: 'invoice', customer: 'cus_1', parent },
      'mirrorInvoiceWorkflow',
      'invoice-mirror-in_2',
      'in_2',
    ],
    [
      'a credit note',
      'credit_note.created',
      { id: 'cn_1', object: 'credit_note' },
      'syncCreditNoteWorkflow',
      'credit-note-sync-evt_1',
      'cn_1',
    ],
  ])('%s is mirrored', (_what, type, object, workflow, workflowId, objectId) => {
    // Charges and invoices have one run per object at a time; a credit note's run is one per event.
    const perObject = workflow === 'syncCreditNoteWorkflow' ? {} : { perObject: true };
    expect(routeOf(event(type, object))).toEqual({
      kind: 'mirror',
      run: { workflow, workflowId, objectId, ...perObject },
    });
  });

  const checkout = { subscription: { id: 'sub_2' }, customer: 'cus_2', client_reference_id: 'subs_2' };
  it.each([
    [
      'a subscription change, with our id',
      'customer.subscription.updated',
      { id: 'sub_1', customer: 'cus_1', metadata: { subscription_id: 'subs_1' } },
      ['sub_1', 'subs_1', 'cus_1'],
    ],
    [
      'a completed checkout, by its client reference',
      'checkout.session.completed',
      checkout,
      ['sub_2', 'subs_2', 'cus_2'],
    ],
    [
      'an invoice, by its parent subscription',
      'invoice.payment_failed',
      { id: 'in_1', customer: { id: 'cus_3' }, parent },
      ['sub_3', 'subs_3', 'cus_3'],
    ],
    [
      'a dispute whose charge is missing',
      'charge.dispute.created',
      { id: 'dp_1', object: 'dispute', customer: 'cus_4' },
      [null, null, 'cus_4'],
    ],
  ])(
    '%s goes to its subscription',
    (_what, type, object, [stripeSubscriptionId, subscriptionId, stripeCustomerId]) => {
      const owner = { stripeSubscriptionId, subscriptionId, stripeCustomerId };
      expect(routeOf(event(type, object))).toEqual({
        kind: 'subscriptions',
        owner,
        cardsOf: null,
        invoiceOf: null,
        always: false,
        signalIfFailedBefore: null,
      });
    },
  );

  it("gives an invoice event the invoice's mirror run, for when no live subscription takes it", () => {
    const invoiceOf = {
      workflow: 'mirrorInvoiceWorkflow',
      workflowId: 'invoice-mirror-in_7',
      objectId: 'in_7',
      perObject: true,
    };
    const failed = routeOf(
      event('invoice.payment_failed', { id: 'in_7', object: 'invoice', customer: 'cus_7' }),
    );
    expect(failed).toMatchObject({ kind: 'subscriptions', invoiceOf, always: false });
    // The workflow reads a paid invoice only when it is in dunning: the mirror run records every one.
    const paid = routeOf(
      event('invoice.paid', { id: 'in_7', object: 'invoice', amount_paid: 100, customer: 'cus_7' }),
    );
    expect(paid).toMatchObject({ kind: 'subscriptions', invoiceOf, always: true });
    // And it concerns the workflow only if a payment of the invoice failed before (dunning needs one).
    expect(paid).toMatchObject({ signalIfFailedBefore: 'in_7' });
    expect(failed).toMatchObject({ signalIfFailedBefore: null });
    expect(
      routeOf(event('customer.subscription.updated', { id: 'sub_7', object: 'subscription' })),
    ).toMatchObject({
      invoiceOf: null,
    });
  });

  it.each([
    ['succeeded', 'charge.succeeded'],
    ['failed', 'charge.failed'],
  ])("mirrors a charge an invoice's payment %s with its invoice, in the invoice's run", (_what, type) => {
    expect(routeOf(event(type, { id: 'ch_9', object: 'charge', invoice: 'in_9' }))).toEqual({
      kind: 'mirror',
      run: {
        workflow: 'mirrorInvoiceWorkflow',
        workflowId: 'invoice-mirror-in_9',
        objectId: 'in_9',
        perObject: true,
      },
    });
    // Its refunds and disputes, and a charge of no invoice (a credit pack's), keep the charge's own run.
    expect(
      routeOf(event('charge.refunded', { id: 'ch_9', object: 'charge', invoice: 'in_9' })),
    ).toMatchObject({
      run: { workflowId: 'charge-mirror-ch_9' },
    });
    expect(routeOf(event(type, { id: 'ch_8', object: 'charge', invoice: null }))).toMatchObject({
      run: { workflowId: 'charge-mirror-ch_8' },
    });
  });

  it('an attached card names the customer whose cards a run of its own re-reads', () => {
    const route = routeOf(
      event('payment_method.attached', { id: 'pm_1', object: 'payment_method', customer: 'cus_5' }),
    );
    expect(route).toMatchObject({ kind: 'subscriptions', cardsOf: 'cus_5' });
  });

  it.each([
    ['a new default card', 'pm_old', 'pm_new', { kind: 'cards', stripeCustomerId: 'cus_6' }],
    ['a first default card', null, 'pm_new', { kind: 'cards', stripeCustomerId: 'cus_6' }],
    ['the default card cleared', 'pm_old', null, { kind: 'cards', stripeCustomerId: 'cus_6' }],
    [
      'an expanded default card',
      { id: 'pm_old' },
      { id: 'pm_new' },
      { kind: 'cards', stripeCustomerId: 'cus_6' },
    ],
    ['the same default card named again', 'pm_same', 'pm_same', { kind: 'ignored' }],
    ['the same card, once expanded', { id: 'pm_same' }, 'pm_same', { kind: 'ignored' }],
  ])(
    'a customer update moving their invoice default (%s) reads their cards',
    (_what, before, after, route) => {
      const update = {
        ...event('customer.updated', {
          id: 'cus_6',
          object: 'customer',
          invoice_settings: { default_payment_method: after },
        }),
      } as Stripe.Event;
      update.data.previous_attributes = { invoice_settings: { default_payment_method: before } } as never;
      expect(routeOf(update)).toEqual(route);
    },
  );

  it.each([
    ['its balance', { balance: 0 }],
    ['another invoice setting', { invoice_settings: { footer: null } }],
    ['a malformed previous value', { invoice_settings: 'pm_old' }],
  ])('a customer update of %s is ignored', (_what, previous) => {
    const update = event('customer.updated', {
      id: 'cus_6',
      object: 'customer',
      balance: -500,
      invoice_settings: { default_payment_method: 'pm_1', footer: 'Thanks' },
    });
    update.data.previous_attributes = previous as never;
    expect(routeOf(update)).toEqual({ kind: 'ignored' });
  });

  it("tells the subscription's workflow the event's object and hosted invoice page", () => {
    const e = event('invoice.finalized', { id: 'in_1', hosted_invoice_url: 'https://pay.example/in_1' });
    expect(subscriptionSignal(e, 'sub_1')).toEqual({
      id: 'evt_1',
      type: 'invoice.finalized',
      created: 1_700_000_000,
      objectId: 'in_1',
      stripeSubscriptionId: 'sub_1',
      hostedInvoiceUrl: 'https://pay.example/in_1',
    });
  });
});

describe("whether an event's payload is all the mirror needs", () => {
  const current = (type: string, object: Record<string, unknown>, apiVersion: unknown = Stripe.API_VERSION) =>
    ({ ...event(type, object), api_version: apiVersion }) as Stripe.Event;
  const amounts = { subtotal: 900, total: 900, amount_due: 900, amount_paid: 0, attempt_count: 0 };
  const invoice = {
    id: 'in_p',
    object: 'invoice',
    customer: 'cus_p',
    status: 'open',
    currency: 'usd',
    parent,
    ...amounts,
  };
  const charge = {
    id: 'ch_p',
    object: 'charge',
    status: 'succeeded',
    currency: 'usd',
    invoice: 'in_p',
    disputed: false,
    amount: 900,
    amount_refunded: 0,
  };

  it.each([
    ['an invoice with no discounts', invoice, true],
    [
      'an invoice whose discounts are expanded',
      { ...invoice, discounts: [{ id: 'di_1', source: {} }] },
      true,
    ],
    ['an invoice naming its discounts by id', { ...invoice, discounts: ['di_1'] }, false],
    ['an invoice with discounts of some other shape', { ...invoice, discounts: 'di_1' }, false],
    ['an invoice without an id', { ...invoice, id: undefined }, false],
    ['an invoice with a fractional amount', { ...invoice, total: 900.5 }, false],
    ['an invoice with a negative amount paid', { ...invoice, amount_paid: -1 }, false],
    [
      'a proration invoice whose credits make its total negative',
      { ...invoice, subtotal: -500, total: -500 },
      true,
    ],
    ['an invoice with an amount past a 32-bit column', { ...invoice, amount_due: 2 ** 31 }, false],
    ['an invoice with an amount as a string', { ...invoice, subtotal: '900' }, false],
    ['an invoice with no attempt count', { ...invoice, attempt_count: undefined }, false],
    ['a charge with an amount that is not a whole number', { ...charge, amount: 1e400 }, false],
    ["an invoice's payment, not refunded or disputed", charge, true],
    ['a charge refunded in part', { ...charge, amount_refunded: 1 }, false],
    ['a disputed charge', { ...charge, disputed: true }, false],
    ['a charge that says nothing of disputes', { ...charge, disputed: undefined }, false],
    ['an invoice whose status is not text', { ...invoice, status: 1 }, false],
    ['an invoice whose currency holds a lone surrogate', { ...invoice, currency: 'us\ud800' }, false],
    ['an invoice whose number holds a lone surrogate', { ...invoice, number: 'N-\udc00' }, false],
    [
      'an invoice whose number holds an emoji (a surrogate pair)',
      { ...invoice, number: 'N-\u{1F600}' },
      true,
    ],
    ['a charge whose currency is not text', { ...charge, currency: null }, false],
    ['a charge whose description holds a lone surrogate', { ...charge, description: '\ud800' }, false],
    ['a subscription', { id: 'sub_p', object: 'subscription' }, false],
  ])('%s: %s', (_what, object, mirrors) => {
    expect(payloadMirrors(current('invoice.finalized', object))).toBe(mirrors);
  });

  it.each([
    ['another API version', '2020-08-27'],
    ['no API version', null],
    ['an API version of another type', 20260225],
  ])('never for %s, whose objects have other fields', (_what, version) => {
    expect(payloadMirrors(current('invoice.finalized', invoice, version))).toBe(false);
  });

  it('is carried by the routes of mirror-only invoice events, a paid invoice and its payment', () => {
    expect(routeOf(current('invoice.created', invoice))).toMatchObject({ kind: 'mirror', fromPayload: true });
    expect(routeOf(current('invoice.finalized', invoice))).toMatchObject({
      kind: 'mirror',
      fromPayload: true,
    });
    expect(routeOf(current('charge.succeeded', charge))).toMatchObject({ kind: 'mirror', fromPayload: true });
    expect(routeOf(current('invoice.paid', invoice))).toMatchObject({
      kind: 'subscriptions',
      invoiceFromPayload: true,
    });
    // Refunds and disputes read the charge's refunds and dispute: never from the payload.
    expect(routeOf(current('charge.refunded', { ...charge, amount_refunded: 5 }))).not.toHaveProperty(
      'fromPayload',
    );
    expect(routeOf(current('invoice.payment_failed', invoice))).not.toHaveProperty('invoiceFromPayload');
    expect(routeOf(current('invoice.created', invoice, '2020-08-27'))).not.toHaveProperty('fromPayload');
  });
});

describe("whether an attached card's payload is all a new card's row needs", () => {
  const card = { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2031, fingerprint: 'fp_1' };
  const attached = (fields: Record<string, unknown> = {}, apiVersion: string = Stripe.API_VERSION) =>
    ({
      id: 'evt_pm',
      type: 'payment_method.attached',
      created: 1_700_000_000,
      api_version: apiVersion,
      data: {
        object: { id: 'pm_1', object: 'payment_method', customer: 'cus_1', type: 'card', card, ...fields },
      },
    }) as unknown as Stripe.Event;

  it('accepts a card as Stripe sends it, and a payment method with no card details', () => {
    expect(cardPayloadMirrors(attached())).toBe(true);
    expect(cardPayloadMirrors(attached({ type: 'sepa_debit', card: null }))).toBe(true);
    expect(routeOf(attached())).toMatchObject({
      kind: 'subscriptions',
      cardsOf: 'cus_1',
      cardFromPayload: true,
    });
  });

  it.each<[string, Record<string, unknown>]>([
    ['a customer that is not an id', { customer: { id: 'cus_1' } }],
    ['no customer', { customer: null }],
    ['another object', { object: 'source' }],
    ['a type that is not text', { type: 7 }],
    ['a type longer than its column', { type: 'x'.repeat(33) }],
    ['a type longer than its column, with no card details', { type: 'x'.repeat(33), card: null }],
    ['last four digits with a NUL', { card: { ...card, last4: '4\u00002' } }],
    ['card details that are a list', { card: [card] }],
    ['card details that are text', { card: 'visa' }],
    ['last four digits longer than four', { card: { ...card, last4: '42424' } }],
    ['a brand with a lone surrogate', { card: { ...card, brand: 'vi\ud800sa' } }],
    ['a fingerprint that is a number', { card: { ...card, fingerprint: 7 } }],
    ['a fingerprint longer than its column', { card: { ...card, fingerprint: 'f'.repeat(65) } }],
    ['an expiry month that is text', { card: { ...card, exp_month: '12' } }],
    ['a fractional expiry year', { card: { ...card, exp_year: 2031.5 } }],
    ['a negative expiry month', { card: { ...card, exp_month: -1 } }],
    ['an expiry year past what the column holds', { card: { ...card, exp_year: 2 ** 31 } }],
  ])('leaves to a read of Stripe %s', (_what, fields) => {
    expect(cardPayloadMirrors(attached(fields))).toBe(false);
    expect(routeOf(attached(fields))).not.toHaveProperty('cardFromPayload');
  });

  it('leaves to a read of Stripe another API version, and any other event of the card', () => {
    expect(cardPayloadMirrors(attached({}, '2020-08-27'))).toBe(false);
    const updated = { ...attached(), type: 'payment_method.updated' } as Stripe.Event;
    expect(routeOf(updated)).not.toHaveProperty('cardFromPayload');
  });

  it('never accepts a payload a column would not keep as sent, whatever its fields hold', () => {
    const anything = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
      fc.double(),
      fc.constantFrom(null, undefined, [], {}, '\ud800', 'a\u0000b'),
    );
    fc.assert(
      fc.property(
        fc.record({
          brand: anything,
          last4: anything,
          fingerprint: anything,
          exp_month: anything,
          exp_year: anything,
        }),
        (fields) => {
          if (!cardPayloadMirrors(attached({ card: fields }))) return;
          for (const [k, max] of [
            ['brand', 255],
            ['last4', 4],
            ['fingerprint', 64],
          ] as const) {
            const v = fields[k];
            expect(
              v == null || (typeof v === 'string' && v.length <= max && !/[\p{Cs}\u0000]/u.test(v)),
            ).toBe(true);
          }
          for (const k of ['exp_month', 'exp_year'] as const) {
            const v = fields[k];
            expect(
              v == null || (Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) < 2 ** 31),
            ).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('an expandable Stripe field', () => {
  it.each([
    ['an id', 'cus_1', 'cus_1'],
    ['an expanded object', { id: 'cus_1', object: 'customer' }, 'cus_1'],
    ['null', null, null],
    ['absent', undefined, null],
    ['an object without an id', { object: 'customer' }, null],
  ])('%s gives its id', (_what, value, id) => {
    expect(expandableId(value)).toBe(id);
  });
});

describe("which of an invoice's waiting events make an earlier one's write unnecessary", () => {
  const copy = (type: string, id: string, fields: Record<string, unknown>, apiVersion = Stripe.API_VERSION) =>
    ({
      id,
      type,
      created: 1_700_000_000,
      api_version: apiVersion,
      data: {
        object: {
          id: 'in_s',
          object: 'invoice',
          customer: 'cus_s',
          currency: 'usd',
          parent,
          subtotal: 900,
          total: 900,
          amount_due: 900,
          amount_paid: 0,
          attempt_count: 0,
          ...fields,
        },
      },
    }) as unknown as Stripe.Event;
  const created = copy('invoice.created', 'evt_c', { status: 'draft' });
  const finalized = copy('invoice.finalized', 'evt_f', { status: 'open' });
  const paid = copy('invoice.paid', 'evt_p', { status: 'paid', attempt_count: 1, amount_paid: 900 });

  it.each([
    ['created, by its finalization', created, finalized, true],
    ['created, by its payment', created, paid, true],
    ['finalized, by its payment', finalized, paid, true],
    // Stripe delivers out of order: what came later may show the invoice earlier.
    ['finalized, by a created that arrived after it', finalized, created, false],
    ['a payment, by anything after it (invoice.paid is signalled too)', paid, finalized, false],
    [
      'finalized, by a payment of another invoice',
      finalized,
      { ...paid, data: { object: { ...paid.data.object, id: 'in_other' } } },
      false,
    ],
    [
      'finalized, by a payment in another API version (its run reads Stripe)',
      finalized,
      copy(
        'invoice.paid',
        'evt_v',
        { status: 'paid', attempt_count: 1, amount_paid: 900 },
        '2020-08-27' as never,
      ),
      false,
    ],
    [
      'finalized, by a failed attempt (signalled to the workflow, not written)',
      finalized,
      copy('invoice.payment_failed', 'evt_x', { status: 'open', attempt_count: 1 }),
      false,
    ],
    [
      'finalized, by an invoice.updated (signalled to the workflow)',
      finalized,
      copy('invoice.updated', 'evt_u', { status: 'open' }),
      false,
    ],
  ])('%s → %s', (_what, earlier, later, superseded) => {
    expect(supersededBy(earlier as Stripe.Event, later as Stripe.Event)).toBe(superseded);
  });

  it('routes an event with a covering copy waiting as superseded, naming that copy, and else as before', () => {
    expect(routeOf(created, [finalized, paid])).toEqual({ kind: 'superseded', by: 'evt_f' });
    expect(routeOf(finalized, [created])).toEqual(routeOf(finalized));
    expect(routeOf(paid, [paid])).toEqual(routeOf(paid));
    expect(routeOf(finalized, [])).toMatchObject({ kind: 'mirror', fromPayload: true });
  });

  it('never supersedes a copy by one that is behind it or would not announce what it does', () => {
    const statuses = ['draft', 'open', 'paid', 'void', 'uncollectible'];
    const types = ['invoice.created', 'invoice.finalized', 'invoice.paid', 'invoice.updated'];
    fc.assert(
      fc.property(
        fc.constantFrom(...types),
        fc.constantFrom(...types),
        fc.constantFrom(...statuses),
        fc.constantFrom(...statuses),
        fc.nat(3),
        fc.nat(3),
        (te, tl, se, sl, ae, al) => {
          const earlier = copy(te, 'evt_e', {
            status: se,
            attempt_count: ae,
            amount_paid: se === 'paid' ? 900 : 0,
          });
          const later = copy(tl, 'evt_l', {
            status: sl,
            attempt_count: al,
            amount_paid: sl === 'paid' ? 900 : 0,
          });
          if (!supersededBy(earlier, later)) return;
          const p = (o: typeof earlier) => {
            const x = o.data.object as unknown as {
              status: string;
              attempt_count: number;
              amount_paid: number;
            };
            return { status: x.status, attemptCount: x.attempt_count, amountPaidCents: x.amount_paid };
          };
          expect(covers(p(later), p(earlier))).toBe(true);
          expect(routeOf(earlier).kind).toBe('mirror');
        },
      ),
    );
  });
});
