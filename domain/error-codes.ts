/**
 * What went wrong, in the engine's terms. The API turns each kind into an HTTP status (api/http-status.ts);
 * nothing below the API knows HTTP.
 */
export type ErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'payment_required'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'internal'
  | 'upstream'
  | 'unavailable'
  | 'timeout';

interface CodeEntry {
  /** The kinds it is raised with (api/http-status.ts turns each into its HTTP status). */
  readonly kinds: readonly ErrorKind[];
  /** One line for the catalogue in docs/api.md. */
  readonly meaning: string;
}

/**
 * Every stable code a refusal may carry. AppError takes only these (its `code` is an ErrorCode), so a new
 * refusal cannot reach a caller without an entry here; docs/api.md's catalogue is written from this table
 * (`npm run docs:errors`) and test/api/error-catalogue.test.ts fails when the two differ. Conflicts
 * about a value already in use end in `_exists`.
 */
export const ERROR_CODES = {
  // The edge: input, body, method and route.
  validation_failed: {
    kinds: ['invalid'],
    meaning:
      'A field is missing, malformed or out of bounds; `details.field` names it, `details.issues` lists each',
  },
  invalid_json: { kinds: ['invalid'], meaning: 'The body is not UTF-8 or not JSON' },
  invalid_request: {
    kinds: ['invalid'],
    meaning:
      "A header or value cannot be taken (an Idempotency-Key that is malformed or differs from the body's)",
  },
  bad_request: { kinds: ['invalid'], meaning: 'A client error the HTTP server raised before any route ran' },
  idempotency_key_required: {
    kinds: ['invalid'],
    meaning: 'The route needs an Idempotency-Key header or idempotency_key',
  },
  invalid_cursor: { kinds: ['invalid'], meaning: 'The cursor was not given out by this list' },
  return_url_not_allowed: { kinds: ['invalid'], meaning: 'A return URL points outside the allowed origins' },
  payload_too_large: { kinds: ['too_large'], meaning: "The body is over the route's limit" },
  unsupported_media_type: {
    kinds: ['unsupported_media_type'],
    meaning: 'The route takes a JSON body and got another type',
  },
  method_not_allowed: { kinds: ['method_not_allowed'], meaning: 'No route serves this method on this path' },
  route_not_found: { kinds: ['not_found'], meaning: 'No route serves this path' },
  rate_limited: {
    kinds: ['rate_limited'],
    meaning: 'Too many requests of this kind by this caller; see Retry-After',
  },

  // Who is calling.
  unauthorized: { kinds: ['unauthenticated'], meaning: 'No token (or no metrics scrape token) was sent' },
  invalid_token: {
    kinds: ['unauthenticated'],
    meaning: 'The token is malformed, unsigned, for another client or audience',
  },
  token_expired: { kinds: ['unauthenticated'], meaning: 'The token has expired' },
  forbidden: { kinds: ['forbidden'], meaning: "The caller's role may not call this route" },
  conflicting_roles: {
    kinds: ['forbidden'],
    meaning: "The token holds the gateway's role beside editor or admin",
  },
  email_not_verified: {
    kinds: ['forbidden'],
    meaning: "The person's email is not verified by the identity provider",
  },
  identity_provider_unavailable: {
    kinds: ['unavailable'],
    meaning: "The identity provider's signing keys could not be fetched",
  },
  dev_sign_in_disabled: { kinds: ['not_found'], meaning: 'The development sign-in is off here' },

  // Something asked for does not exist (or is another customer's).
  plan_not_found: { kinds: ['not_found', 'invalid'], meaning: 'No such plan (400 when a coupon names it)' },
  customer_not_found: {
    kinds: ['not_found'],
    meaning: 'No such customer, or the caller is not a customer yet',
  },
  user_not_found: { kinds: ['not_found'], meaning: 'No such user' },
  migration_not_found: { kinds: ['not_found'], meaning: 'No such plan migration' },
  rehearsal_not_found: { kinds: ['not_found'], meaning: 'No such rehearsal of a plan migration' },
  subscription_not_found: { kinds: ['not_found'], meaning: 'No such (live) subscription' },
  invoice_not_found: { kinds: ['not_found'], meaning: 'No such invoice among those the caller may see' },
  no_upcoming_invoice: {
    kinds: ['not_found'],
    meaning: 'No subscription of the caller renews, so no invoice is coming',
  },
  invoice_pdf_not_found: {
    kinds: ['not_found'],
    meaning: 'The invoice has no PDF yet (it is still a draft)',
  },
  payment_method_not_found: { kinds: ['not_found'], meaning: "No such payment method of the caller's" },
  entitlement_override_not_found: { kinds: ['not_found'], meaning: 'No such entitlement override' },
  provider_key_not_found: { kinds: ['not_found'], meaning: 'No provider key stored for this provider' },
  coupon_not_found: { kinds: ['not_found'], meaning: 'No such coupon' },
  commitment_not_found: { kinds: ['not_found'], meaning: 'The customer has no live minimum commitment' },
  budget_not_found: { kinds: ['not_found'], meaning: 'The customer set no budget for this subject' },
  promotion_code_not_found: { kinds: ['not_found'], meaning: 'No such promotion code' },
  webhook_endpoint_not_found: { kinds: ['not_found'], meaning: 'No such webhook endpoint' },
  webhook_delivery_not_found: { kinds: ['not_found'], meaning: 'No such webhook delivery' },
  credit_grant_not_found: { kinds: ['not_found'], meaning: 'No such credit grant of this customer' },
  credit_pack_not_found: { kinds: ['not_found'], meaning: 'No such credit pack (on sale)' },

  // A value already in use.
  plan_exists: { kinds: ['conflict'], meaning: 'A plan with this code exists' },
  usage_type_exists: { kinds: ['conflict'], meaning: 'A usage type with this code exists' },
  coupon_exists: { kinds: ['conflict'], meaning: 'A coupon with this id exists' },
  too_many_budgets: {
    kinds: ['conflict'],
    meaning: 'The customer keeps the most budgets allowed; remove one before adding another',
  },
  commitment_exists: {
    kinds: ['conflict'],
    meaning:
      'The subscription already has a live minimum commitment (end it first), or an ended one still owes the period a new one would start from',
  },
  prepaid_commit_exists: {
    kinds: ['conflict'],
    meaning: 'The subscription already has a prepaid commit being charged or in its term',
  },
  prepaid_commit_invoice: {
    kinds: ['conflict'],
    meaning:
      'The invoice paid for a prepaid commit credited to the balance: it cannot be refunded or credited',
  },
  commitment_needs_period: {
    kinds: ['conflict'],
    meaning: 'The subscription has no billing period yet (its checkout is not finished)',
  },
  promotion_code_exists: { kinds: ['conflict'], meaning: 'A promotion code with this code exists' },
  pack_code_exists: {
    kinds: ['conflict'],
    meaning: 'A credit pack with this code exists (was `pack_code_taken`)',
  },
  customer_email_exists: {
    kinds: ['conflict'],
    meaning: 'Another account already uses this email for billing (was `customer_email_taken`)',
  },
  subscription_exists: {
    kinds: ['conflict'],
    meaning: 'The caller already has a subscription; change its plan instead',
  },
  constraint_violation: { kinds: ['conflict'], meaning: 'The request conflicts with data already stored' },

  // The state does not allow it.
  plan_archived: { kinds: ['conflict'], meaning: 'The plan is archived' },
  plan_inconsistent: { kinds: ['internal'], meaning: 'The plan has no versions (a fault in stored data)' },
  invalid_subscription_state: {
    kinds: ['conflict'],
    meaning: "The subscription's state does not allow this change",
  },
  no_change: { kinds: ['conflict'], meaning: 'The subscription is already as asked' },
  not_in_trial: { kinds: ['conflict'], meaning: 'Only a running trial takes a plan to continue with' },
  trial_already_used: { kinds: ['conflict'], meaning: 'A trial can be started once per customer' },
  too_many_open_checkouts: {
    kinds: ['conflict'],
    meaning: 'Too many checkouts are open; finish one or wait for it to expire',
  },
  pause_not_allowed: { kinds: ['conflict'], meaning: 'The plan does not let its customers pause or unpause' },
  card_required: {
    kinds: ['conflict'],
    meaning: 'The trial ended without a card: the subscription resumes once one is added',
  },
  last_payment_method: { kinds: ['conflict'], meaning: 'The card is the only one paying the plan' },
  default_payment_method: { kinds: ['conflict'], meaning: 'The card is the default paying the plan' },
  no_payment_method: { kinds: ['conflict'], meaning: 'Automatic top-up needs a card on file' },
  invoice_not_paid: { kinds: ['conflict'], meaning: 'Only a paid invoice can be refunded' },
  invoice_not_creditable: {
    kinds: ['conflict'],
    meaning: 'The invoice cannot take a credit note in its state',
  },
  refund_exceeds_charge: { kinds: ['conflict'], meaning: 'More than is left of the charge to refund' },
  credit_exceeds_invoice: { kinds: ['conflict'], meaning: 'More than is left of the invoice to credit' },
  charge_disputed: { kinds: ['conflict'], meaning: 'The charge is disputed' },
  grant_never_expires: {
    kinds: ['conflict'],
    meaning: 'The credit grant never expires, so it cannot be extended',
  },
  not_an_extension: { kinds: ['conflict'], meaning: 'The new expiry is not later than the current one' },
  credit_pack_not_for_plan: { kinds: ['conflict'], meaning: "The customer's plan may not buy this pack" },
  credit_pack_not_in_currency: {
    kinds: ['conflict'],
    meaning: "The pack is not sold in the customer's currency",
  },
  provider_key_unreadable: {
    kinds: ['conflict'],
    meaning: 'The stored key can no longer be decrypted; add it again',
  },
  byok_not_in_plan: {
    kinds: ['forbidden'],
    meaning: "The customer's plan does not include bring-your-own-key",
  },

  // Coupons and promotion codes.
  coupon_inactive: {
    kinds: ['invalid', 'conflict'],
    meaning: 'The coupon is archived (400 when a promotion code at checkout carries it)',
  },
  coupon_expired: {
    kinds: ['invalid', 'conflict'],
    meaning: 'The coupon has expired (400 when a promotion code at checkout carries it)',
  },
  coupon_used_up: {
    kinds: ['invalid', 'conflict'],
    meaning: 'The coupon has no redemptions left (400 when a promotion code at checkout carries it)',
  },
  coupon_not_for_plan: {
    kinds: ['invalid', 'conflict'],
    meaning: 'The coupon does not apply to this plan (400 when a promotion code at checkout carries it)',
  },
  coupon_not_for_currency: {
    kinds: ['invalid', 'conflict'],
    meaning: 'The coupon has no amount in this currency (400 when a promotion code at checkout carries it)',
  },
  promotion_code_unknown: { kinds: ['invalid'], meaning: 'No promotion code as typed' },
  promotion_code_inactive: { kinds: ['invalid'], meaning: 'The promotion code is no longer valid' },
  promotion_code_expired: { kinds: ['invalid'], meaning: 'The promotion code has expired' },
  promotion_code_used_up: { kinds: ['invalid'], meaning: 'The promotion code has no redemptions left' },
  promotion_code_first_time_only: {
    kinds: ['invalid'],
    meaning: 'The promotion code is for first-time customers',
  },
  promotion_code_minimum_not_met: {
    kinds: ['invalid'],
    meaning: "The order is below the promotion code's minimum",
  },
  promotion_code_needs_change_now: {
    kinds: ['invalid'],
    meaning: 'A promotion code applies only to a plan change made now',
  },

  // Plans, prices and currencies.
  plan_not_in_currency: { kinds: ['invalid'], meaning: 'The plan is not sold in this currency' },
  billing_cycle_unavailable: { kinds: ['invalid'], meaning: 'The plan has no price for this billing cycle' },
  continuation_not_allowed: { kinds: ['invalid'], meaning: 'Only a trial takes a plan to continue with' },
  invalid_continuation: { kinds: ['invalid'], meaning: 'A trial continues with a paid plan' },
  trial_needs_card: {
    kinds: ['invalid'],
    meaning: 'The plan cannot start trials without a card (no trial days, or a price charged at signup)',
  },
  anchor_not_supported: {
    kinds: ['invalid'],
    meaning:
      'Calendar billing cannot hold its anchor on this plan (the trial tier, or a trial paused for want of a card)',
  },
  migration_in_progress: {
    kinds: ['conflict'],
    meaning: 'A migration (or a rehearsal) of this plan is still running: one of each at a time',
  },
  margin_below_floor: {
    kinds: ['conflict'],
    meaning:
      "A rate card line sells a model's tokens below its cost plus the margin floor; `details` names the model, the margin and every line at fault. An admin may publish it anyway with `margin_override_reason` (audited)",
  },
  exchange_rate_missing: {
    kinds: ['conflict'],
    meaning:
      "A figure in the reporting currency needs a rate the admin has not set; `details.field` names the currency's rate",
  },
  cost_history_fixed: {
    kinds: ['conflict'],
    meaning:
      'A model cost takes effect from a day not yet begun: usage already costed keeps its cost (history is never rewritten)',
  },
  rehearsal_not_finished: {
    kinds: ['conflict'],
    meaning: 'The rehearsal is still running: approve it once it ends',
  },
  rehearsal_outdated: {
    kinds: ['conflict'],
    meaning: 'The plan has a newer version than the one the rehearsal moved subscribers to: rehearse again',
  },
  anchor_needs_period_end: {
    kinds: ['conflict'],
    meaning: 'On calendar billing a change between monthly and yearly waits for the period end, the next 1st',
  },
  checkout_too_close_to_anchor: {
    kinds: ['conflict'],
    meaning: 'Calendar billing starts on the 1st, less than half an hour away: check out after midnight UTC',
  },
  seats_not_offered: {
    kinds: ['invalid', 'conflict'],
    meaning: 'The plan is not priced per seat (or a change would move seats onto, or off, such a plan)',
  },
  seats_out_of_range: {
    kinds: ['invalid', 'conflict'],
    meaning: "The seats are outside the plan's minimum and maximum; the message names them",
  },
  seats_invalid: {
    kinds: ['invalid'],
    meaning: "A plan's seat range cannot be sold (min above max, or beyond the ceiling)",
  },
  prepaid_only_bills_usage: {
    kinds: ['invalid'],
    meaning: 'A prepaid-only plan holds something that bills usage afterwards',
  },
  entitlement_invalid: {
    kinds: ['invalid'],
    meaning: "An entitlement's terms are wrong; `details.field` names it",
  },
  currency_not_supported: { kinds: ['invalid'], meaning: 'Not a currency the engine prices in' },
  currency_is_base: { kinds: ['invalid'], meaning: "The currency is the plan's or pack's own" },
  currency_fixed: {
    kinds: ['conflict'],
    meaning: 'The account pays in another currency, which cannot change',
  },
  currency_cycles_differ: {
    kinds: ['invalid'],
    meaning: "A currency's prices do not cover the plan's billing cycles",
  },
  currency_rate_card_differs: {
    kinds: ['invalid'],
    meaning: "A currency's rate card does not match the plan's",
  },
  invalid_exchange_rate: {
    kinds: ['invalid'],
    meaning: 'An exchange rate is not a positive decimal below 10,000 with at most 8 places',
  },
  spend_cap_required: { kinds: ['invalid'], meaning: 'The customer must keep a spend cap' },
  spend_cap_above_maximum: { kinds: ['invalid'], meaning: 'The spend cap is above the maximum an admin set' },
  spend_cap_must_block: { kinds: ['invalid'], meaning: 'The spend cap must block usage, not only alert' },
  invalid_dunning_policy: { kinds: ['invalid'], meaning: 'The dunning policy does not hold together' },
  webhook_url_invalid: {
    kinds: ['invalid'],
    meaning: 'The endpoint URL is not an absolute http(s) URL without credentials',
  },
  webhook_url_not_https: { kinds: ['invalid'], meaning: 'Endpoint URLs must be https in production' },
  webhook_url_private: {
    kinds: ['invalid'],
    meaning: 'The endpoint URL points at a private or loopback address',
  },

  // Usage limits: the report is refused whole.
  daily_quota_exceeded: {
    kinds: ['rate_limited'],
    meaning: "The plan's daily quota is used up; see Retry-After",
  },
  spend_cap_reached: { kinds: ['rate_limited'], meaning: 'The spend cap of this billing period is reached' },
  credits_exhausted: { kinds: ['rate_limited'], meaning: "A prepaid-only customer's credits are used up" },
  budget_reached: {
    kinds: ['rate_limited'],
    meaning:
      'The budget the customer set for this subject (project, key or end user) is used up for its window',
  },

  // Stripe and its webhooks.
  card_declined: { kinds: ['payment_required'], meaning: 'The card was declined' },
  payment_provider_error: {
    kinds: ['upstream'],
    meaning: 'The payment provider refused or could not complete the request',
  },
  invoice_pdf_unavailable: { kinds: ['upstream'], meaning: 'Stripe did not deliver the invoice PDF' },
  invalid_signature: { kinds: ['invalid'], meaning: 'The Stripe-Signature header does not match the body' },
  webhook_timestamp_expired: { kinds: ['invalid'], meaning: 'The Stripe-Signature timestamp is too old' },
  webhooks_not_configured: {
    kinds: ['unavailable'],
    meaning: 'No Stripe webhook secret is set on this server',
  },
  plan_not_synced: { kinds: ['unavailable'], meaning: 'The plan has no Stripe product or price yet' },
  coupon_not_synced: { kinds: ['unavailable'], meaning: 'The coupon is not in Stripe yet' },
  promotion_code_not_synced: { kinds: ['unavailable'], meaning: 'The promotion code is not in Stripe yet' },

  // The engine's own services.
  temporal_unavailable: {
    kinds: ['unavailable'],
    meaning: 'The workflow service cannot be reached; try again shortly',
  },
  no_worker: {
    kinds: ['unavailable'],
    meaning: 'No worker polls the task queue; the request was not started',
  },
  overloaded: {
    kinds: ['unavailable'],
    meaning:
      'This API process has as many of these requests in progress as it takes; nothing was recorded; send it again after Retry-After',
  },
  workflow_busy: {
    kinds: ['unavailable'],
    meaning:
      'Temporal is shedding load (a busy workflow, a rate limit); retry shortly; the request may still complete',
  },
  workflow_unavailable: {
    kinds: ['unavailable'],
    meaning:
      'The workflow behind the request cannot take requests (its task keeps failing); nothing was changed',
  },
  workflow_timeout: {
    kinds: ['timeout'],
    meaning: 'The workflow did not answer in time; the request may still complete',
  },
  byok_not_configured: { kinds: ['unavailable'], meaning: 'Provider keys are not configured on this server' },
  database_unavailable: {
    kinds: ['unavailable'],
    meaning: 'The database could not be reached; send the request again',
  },
  internal_error: {
    kinds: ['internal'],
    meaning: "Something went wrong on the engine's side; `details.request_id` names it",
  },
} as const satisfies Record<string, CodeEntry>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

/**
 * A code a domain rule chose, typed as a plain string there: the registry's code, or a thrown fault (the
 * API's 500) naming it, so an unregistered code is found by the first test that reaches it.
 */
export function registeredCode(code: string): ErrorCode {
  if (!isErrorCode(code)) throw new Error(`"${code}" is not in domain/error-codes.ts`);
  return code;
}

/** The part of a code that `notFound(what)` takes: `plan` for `plan_not_found`. */
export type NotFoundSubject = ErrorCode extends infer C
  ? C extends `${infer W}_not_found`
    ? W
    : never
  : never;
