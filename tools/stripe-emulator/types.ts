import type Stripe from 'stripe';

/**
 * Stored records. Top-level fields are picked from stripe-node's own types so the JSON we serve keeps the
 * shapes the client declares; fields starting with `_` are emulator bookkeeping and never serialized.
 * References are stored as ids and embedded or expanded only when a response is rendered.
 */
export interface BaseRec {
  id: string;
  object: string;
  created: number;
}

export type CardBehavior = 'succeed' | 'decline' | 'fail_charges' | 'require_action';

/** A bank debit (SEPA, ACH): the payment waits in `processing` until it settles, or fails days later. */
export type DebitBehavior = 'settle' | 'fail_settlement';

export interface SepaDebitDetails {
  bank_code: string;
  branch_code: string;
  country: string;
  fingerprint: string;
  generated_from: null;
  last4: string;
}

export interface UsBankAccountDetails {
  account_holder_type: 'individual' | 'company';
  account_type: 'checking' | 'savings';
  bank_name: string;
  fingerprint: string;
  last4: string;
  routing_number: string;
}

export type CustomerRec = Pick<
  Stripe.Customer,
  | 'id'
  | 'object'
  | 'created'
  | 'livemode'
  | 'email'
  | 'name'
  | 'description'
  | 'phone'
  | 'metadata'
  | 'balance'
  | 'delinquent'
  | 'currency'
  | 'invoice_prefix'
  | 'default_source'
> & {
  invoice_settings: Pick<
    Stripe.Customer.InvoiceSettings,
    'custom_fields' | 'footer' | 'rendering_options'
  > & { default_payment_method: string | null };
  test_clock: string | null;
  deleted?: true;
  _invoiceSeq: number;
  /** The billing address Checkout collected (absent before tax existed here). */
  address?: TaxAddress | null;
  /** Its tax ids (`tax_id` records), newest last. */
  _taxIds?: string[];
};

/** A billing address as Stripe keeps it. */
export interface TaxAddress {
  country: string | null;
  line1: string | null;
  line2: string | null;
  city: string | null;
  postal_code: string | null;
  state: string | null;
}

export interface TaxIdRec extends BaseRec {
  object: 'tax_id';
  country: string | null;
  customer: string;
  livemode: false;
  type: string;
  value: string;
  verification: {
    status: 'verified' | 'unverified' | 'pending';
    verified_address: null;
    verified_name: null;
  };
}

/** Stripe Tax's answer for one line: what it charged and why. */
export interface LineTax {
  amount: number;
  tax_behavior: 'exclusive';
  tax_rate_details: { tax_rate: string };
  taxability_reason: 'standard_rated' | 'reverse_charge' | 'not_collecting';
  taxable_amount: number;
  type: 'tax_rate_details';
}

export type ProductRec = Pick<
  Stripe.Product,
  | 'id'
  | 'object'
  | 'active'
  | 'created'
  | 'updated'
  | 'description'
  | 'images'
  | 'livemode'
  | 'metadata'
  | 'name'
  | 'type'
  | 'url'
  | 'unit_label'
  | 'marketing_features'
  | 'package_dimensions'
  | 'shippable'
> & { default_price: string | null; deleted?: true };

export type PriceRec = Pick<
  Stripe.Price,
  | 'id'
  | 'object'
  | 'active'
  | 'billing_scheme'
  | 'created'
  | 'currency'
  | 'custom_unit_amount'
  | 'livemode'
  | 'lookup_key'
  | 'metadata'
  | 'nickname'
  | 'recurring'
  | 'tax_behavior'
  | 'tiers_mode'
  | 'transform_quantity'
  | 'type'
  | 'unit_amount'
  | 'unit_amount_decimal'
> & { product: string; tiers?: Stripe.Price.Tier[] };

export type CardDetails = Pick<
  Stripe.PaymentMethod.Card,
  'brand' | 'country' | 'display_brand' | 'exp_month' | 'exp_year' | 'fingerprint' | 'funding' | 'last4'
> & { checks: null; generated_from: null; networks: null; regulated_status: null; wallet: null };

export type PaymentMethodRec = Pick<
  Stripe.PaymentMethod,
  'id' | 'object' | 'billing_details' | 'created' | 'livemode' | 'metadata' | 'type'
> & {
  customer: string | null;
  card?: CardDetails;
  sepa_debit?: SepaDebitDetails;
  us_bank_account?: UsBankAccountDetails;
  _behavior: CardBehavior | DebitBehavior;
};

export interface SubscriptionItemRec {
  id: string;
  object: 'subscription_item';
  created: number;
  metadata: Stripe.Metadata;
  price: string;
  quantity: number;
  subscription: string;
  current_period_start: number;
  current_period_end: number;
}

export type SubscriptionRec = Pick<
  Stripe.Subscription,
  | 'id'
  | 'object'
  | 'billing_cycle_anchor'
  | 'cancel_at'
  | 'cancel_at_period_end'
  | 'canceled_at'
  | 'cancellation_details'
  | 'collection_method'
  | 'created'
  | 'currency'
  | 'days_until_due'
  | 'description'
  | 'ended_at'
  | 'livemode'
  | 'metadata'
  | 'pause_collection'
  | 'start_date'
  | 'status'
  | 'trial_end'
  | 'trial_settings'
  | 'trial_start'
> & {
  customer: string;
  default_payment_method: string | null;
  latest_invoice: string | null;
  test_clock: string | null;
  items: SubscriptionItemRec[];
  // Stripe moved periods onto items in 2025; kept here too for engines written against older API versions.
  current_period_start: number;
  current_period_end: number;
  _trialWillEndSent: boolean;
  _upcomingSentFor: number | null;
  /** Whether Stripe Tax computes its invoices' tax (absent before tax existed here: no). */
  automatic_tax?: { enabled: boolean; disabled_reason: null; liability: null };
  /** The discount applied to the subscription's invoices (a `discount` record's id); absent for none. */
  _discount?: string | null;
  /**
   * How the stub before a future `billing_cycle_anchor` is billed (`proration_behavior` at creation): `none`
   * makes it free. Absent on subscriptions made without an anchor, and before this existed: prorated.
   */
  _prorationBehavior?: 'create_prorations' | 'none' | 'always_invoice';
};

/** A coupon or promotion code a request names in `discounts[0]`. */
export interface DiscountRef {
  coupon?: string;
  promotionCode?: string;
}

export interface CouponRec {
  id: string;
  object: 'coupon';
  amount_off: number | null;
  currency: string | null;
  currency_options: Record<string, { amount_off: number }> | null;
  applies_to: { products: string[] } | null;
  created: number;
  duration: 'once' | 'repeating' | 'forever';
  duration_in_months: number | null;
  livemode: false;
  max_redemptions: number | null;
  metadata: Stripe.Metadata;
  name: string | null;
  percent_off: number | null;
  redeem_by: number | null;
  times_redeemed: number;
  valid: boolean;
}

export interface PromotionCodeRec {
  id: string;
  object: 'promotion_code';
  active: boolean;
  code: string;
  created: number;
  customer: string | null;
  customer_account: null;
  expires_at: number | null;
  livemode: false;
  max_redemptions: number | null;
  metadata: Stripe.Metadata;
  promotion: { type: 'coupon'; coupon: string };
  restrictions: {
    first_time_transaction: boolean;
    minimum_amount: number | null;
    minimum_amount_currency: string | null;
    currency_options: Record<string, { minimum_amount: number }>;
  };
  times_redeemed: number;
}

export interface DiscountRec {
  id: string;
  object: 'discount';
  /** The store orders records by it; Stripe's discount has `start` instead (the same instant). */
  created: number;
  checkout_session: string | null;
  customer: string;
  customer_account: null;
  end: number | null;
  invoice: null;
  invoice_item: null;
  promotion_code: string | null;
  source: { type: 'coupon'; coupon: string };
  start: number;
  subscription: string | null;
  subscription_item: null;
}

export type InvoiceLineRec = Pick<
  Stripe.InvoiceLineItem,
  | 'id'
  | 'object'
  | 'amount'
  | 'currency'
  | 'description'
  | 'discountable'
  | 'livemode'
  | 'metadata'
  | 'period'
  | 'quantity'
  | 'subtotal'
> & {
  invoice: string | null;
  subscription: string | null;
  proration: boolean;
  /** What each discount took off this line; absent on lines stored before discounts existed here. */
  discount_amounts?: { amount: number; discount: string }[];
  discounts?: string[];
  /** Stripe Tax's tax on this line; absent when the invoice is not taxed. */
  taxes?: LineTax[];
  price: string | null;
  pricing: {
    type: 'price_details';
    price_details: { price: string; product: string };
    unit_amount_decimal: string | null;
  } | null;
  parent: {
    type: 'subscription_item_details' | 'invoice_item_details';
    subscription_item_details: { subscription: string; subscription_item: string; proration: boolean } | null;
    invoice_item_details: { invoice_item: string; proration: boolean; subscription: string | null } | null;
  } | null;
};

export type InvoiceRec = Pick<
  Stripe.Invoice,
  | 'id'
  | 'object'
  | 'amount_due'
  | 'amount_paid'
  | 'amount_remaining'
  | 'attempt_count'
  | 'attempted'
  | 'auto_advance'
  | 'billing_reason'
  | 'collection_method'
  | 'created'
  | 'currency'
  | 'customer_email'
  | 'customer_name'
  | 'description'
  | 'due_date'
  | 'hosted_invoice_url'
  | 'invoice_pdf'
  | 'livemode'
  | 'metadata'
  | 'next_payment_attempt'
  | 'number'
  | 'period_end'
  | 'period_start'
  | 'status'
  | 'status_transitions'
  | 'subtotal'
  | 'total'
> & {
  customer: string;
  default_payment_method: string | null;
  test_clock: string | null;
  lines: InvoiceLineRec[];
  parent: {
    type: 'subscription_details';
    subscription_details: { subscription: string; metadata: Stripe.Metadata | null };
  } | null;
  // Fields removed from the API in 2025 but still read by many integrations; served alongside the new ones.
  subscription: string | null;
  payment_intent: string | null;
  charge: string | null;
  paid: boolean;
  /** Absent on invoices stored before credit notes existed here; presented as 0. */
  pre_payment_credit_notes_amount?: number;
  post_payment_credit_notes_amount?: number;
  /** The discounts applied and what each took off in all; absent before discounts existed here. */
  discounts?: string[];
  total_discount_amounts?: { amount: number; discount: string }[];
  /** Stripe Tax: the tax per rate, the total before it, and the customer's details it was computed on. */
  automatic_tax?: { enabled: boolean; status: 'complete' | null; disabled_reason: null; liability: null };
  total_taxes?: LineTax[];
  total_excluding_tax?: number;
  customer_address?: TaxAddress | null;
  customer_tax_ids?: { type: string; value: string }[];
  /** The customer's balance before and after the invoice drew on it, set when it is finalized (Stripe's). */
  starting_balance?: number;
  ending_balance?: number | null;
};

/** A move of a customer's credit balance (negative: a credit to the customer), as Stripe records it. */
export interface CustomerBalanceTransactionRec {
  id: string;
  object: 'customer_balance_transaction';
  amount: number;
  created: number;
  credit_note: string | null;
  currency: string;
  customer: string;
  description: string | null;
  ending_balance: number;
  invoice: string | null;
  livemode: false;
  metadata: Record<string, string>;
  type: 'adjustment' | 'applied_to_invoice' | 'unapplied_from_invoice' | 'credit_note';
}

export type PaymentIntentRec = Pick<
  Stripe.PaymentIntent,
  | 'id'
  | 'object'
  | 'amount'
  | 'amount_capturable'
  | 'amount_received'
  | 'capture_method'
  | 'client_secret'
  | 'confirmation_method'
  | 'created'
  | 'currency'
  | 'description'
  | 'last_payment_error'
  | 'livemode'
  | 'metadata'
  | 'next_action'
  | 'payment_method_types'
  | 'status'
> & {
  customer: string | null;
  payment_method: string | null;
  latest_charge: string | null;
  invoice: string | null;
};

export type ChargeRec = Pick<
  Stripe.Charge,
  | 'id'
  | 'object'
  | 'amount'
  | 'amount_captured'
  | 'amount_refunded'
  | 'captured'
  | 'created'
  | 'currency'
  | 'description'
  | 'failure_code'
  | 'failure_message'
  | 'livemode'
  | 'metadata'
  | 'paid'
  | 'refunded'
  | 'status'
> & {
  customer: string | null;
  payment_intent: string | null;
  payment_method: string | null;
  invoice: string | null;
  outcome: { type: string; network_status: string; reason: string | null; seller_message: string } | null;
  payment_method_details:
    | {
        type: 'card';
        card: Pick<
          CardDetails,
          'brand' | 'country' | 'exp_month' | 'exp_year' | 'fingerprint' | 'funding' | 'last4'
        >;
      }
    | { type: 'sepa_debit'; sepa_debit: Omit<SepaDebitDetails, 'generated_from'> }
    | { type: 'us_bank_account'; us_bank_account: UsBankAccountDetails }
    | null;
  /** Absent on charges stored before disputes existed here; presented as false. */
  disputed?: boolean;
};

export type RefundRec = {
  id: string;
  object: 'refund';
  amount: number;
  charge: string;
  created: number;
  currency: string;
  metadata: Record<string, string>;
  payment_intent: string | null;
  reason: 'duplicate' | 'fraudulent' | 'requested_by_customer' | null;
  status: 'succeeded';
};

export type DisputeRec = Pick<
  Stripe.Dispute,
  'id' | 'object' | 'amount' | 'created' | 'currency' | 'livemode' | 'metadata' | 'reason' | 'status'
> & { charge: string; payment_intent: string | null; is_charge_refundable: boolean };

export type CreditNoteRec = Pick<
  Stripe.CreditNote,
  | 'id'
  | 'object'
  | 'amount'
  | 'created'
  | 'currency'
  | 'effective_at'
  | 'livemode'
  | 'memo'
  | 'metadata'
  | 'number'
  | 'out_of_band_amount'
  | 'reason'
  | 'status'
  | 'subtotal'
  | 'total'
  | 'type'
  | 'voided_at'
> & {
  customer: string;
  invoice: string;
  credit_amount: number;
  refund_amount: number;
  /** Ids of the refunds the credit note made on the invoice's charge. */
  _refunds: string[];
  lines: {
    id: string;
    object: 'credit_note_line_item';
    amount: number;
    description: string | null;
    quantity: number | null;
    type: 'custom_line_item' | 'invoice_line_item';
    invoice_line_item: string | null;
    unit_amount: number | null;
  }[];
};

export type InvoiceItemRec = {
  id: string;
  object: 'invoiceitem';
  created: number;
  customer: string;
  amount: number;
  currency: string;
  description: string | null;
  invoice: string | null;
  livemode: false;
  metadata: Stripe.Metadata;
  period: { start: number; end: number };
  price: string | null;
  proration: boolean;
  quantity: number;
  subscription: string | null;
  subscription_item: string | null;
};

export type CheckoutSessionRec = Pick<
  Stripe.Checkout.Session,
  | 'id'
  | 'object'
  | 'amount_subtotal'
  | 'amount_total'
  | 'cancel_url'
  | 'client_reference_id'
  | 'created'
  | 'currency'
  | 'customer_email'
  | 'expires_at'
  | 'livemode'
  | 'metadata'
  | 'mode'
  | 'payment_method_collection'
  | 'payment_status'
  | 'status'
  | 'success_url'
  | 'url'
> & {
  customer: string | null;
  subscription: string | null;
  invoice: string | null;
  /** Setup mode: the SetupIntent that saves the card, made with the session as Stripe makes it. */
  setup_intent: string | null;
  /** Payment mode: the payment intent that paid the session (absent on sessions stored before it existed). */
  payment_intent?: string | null;
  /** Payment mode: what the session's payment intent is made with. */
  _paymentIntentData?: {
    metadata: Record<string, string>;
    setupFutureUsage: 'off_session' | 'on_session' | null;
    description?: string;
  };
  customer_details: {
    email: string | null;
    name: string | null;
    address?: TaxAddress | null;
    tax_ids?: { type: string; value: string }[];
  } | null;
  _lineItems: { price: string; quantity: number }[];
  _subscriptionData: {
    trialPeriodDays?: number;
    /** What the trial does at its end without a card (`subscription_data.trial_settings`). */
    trialSettings?: Stripe.Subscription.TrialSettings | null;
    /** `subscription_data.trial_end`: when the trial ends (at least 48 hours after the session is made). */
    trialEnd?: number | null;
    /** `subscription_data.billing_cycle_anchor`: the future instant the first full period starts. */
    billingCycleAnchor?: number | null;
    /** `subscription_data.proration_behavior`: whether the stub before the anchor is charged. */
    prorationBehavior?: 'create_prorations' | 'none';
    metadata: Stripe.Metadata;
    description?: string;
  };
  /** The coupon or promotion code the subscription is made with (Checkout's `discounts`). */
  _discount?: DiscountRef | null;
  /** When `amount_subtotal`/`amount_total` were last worked out (an anchored stub shrinks as time passes). */
  _amountsAt?: number;
  /** A card waiting on the hosted page's 3-D Secure step, with what was typed beside it. */
  _authentication?: {
    cardNumber: string;
    email?: string;
    name?: string;
    address?: Partial<TaxAddress> & { country: string };
    taxId?: { type: string; value: string };
  } | null;
  /** Stripe Tax on the session (`automatic_tax[enabled]`), which needs the billing address. */
  automatic_tax?: {
    enabled: boolean;
    status: 'complete' | 'requires_location_inputs' | null;
    liability: null;
  };
  billing_address_collection?: 'auto' | 'required' | null;
  tax_id_collection?: { enabled: boolean; required: 'never' };
  /** Payment mode: the tax the session's total includes. */
  total_details?: { amount_discount: number; amount_shipping: number; amount_tax: number };
};

export type SetupIntentRec = Pick<
  Stripe.SetupIntent,
  | 'id'
  | 'object'
  | 'client_secret'
  | 'created'
  | 'description'
  | 'last_setup_error'
  | 'livemode'
  | 'metadata'
  | 'next_action'
  | 'payment_method_types'
  | 'status'
  | 'usage'
> & { customer: string | null; payment_method: string | null };

export type PortalSessionRec = Pick<
  Stripe.BillingPortal.Session,
  'id' | 'object' | 'created' | 'livemode' | 'locale' | 'on_behalf_of' | 'return_url' | 'url'
> & { customer: string; configuration: string; flow: null };

export type MeterRec = Pick<
  Stripe.Billing.Meter,
  | 'id'
  | 'object'
  | 'created'
  | 'customer_mapping'
  | 'default_aggregation'
  | 'display_name'
  | 'event_name'
  | 'event_time_window'
  | 'livemode'
  | 'status'
  | 'updated'
  | 'value_settings'
>;

export interface MeterEventRec {
  object: 'billing.meter_event';
  created: number;
  event_name: string;
  identifier: string;
  livemode: false;
  payload: Record<string, string>;
  timestamp: number;
  _customer: string;
  _value: number;
}

export type TestClockRec = Pick<
  Stripe.TestHelpers.TestClock,
  'id' | 'object' | 'created' | 'deletes_after' | 'frozen_time' | 'livemode' | 'name' | 'status'
> & { status_details: Record<string, never> };

export interface WebhookEndpointRec {
  id: string;
  object: 'webhook_endpoint';
  created: number;
  url: string;
  secret?: string;
  enabled_events: string[];
  status: 'enabled' | 'disabled';
  livemode: false;
  metadata: Stripe.Metadata;
  api_version: string | null;
  description: string | null;
  _secret: string;
}

export interface EventRec {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: unknown; previous_attributes?: Record<string, unknown> };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}
