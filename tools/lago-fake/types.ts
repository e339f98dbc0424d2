/** Records the fake keeps, shaped like the JSON objects of Lago's API reference (snake_case on the wire). */

export interface PlanRec {
  lago_id: string;
  code: string;
  name: string;
  interval: 'monthly' | 'yearly';
  amount_cents: number;
  amount_currency: string;
  created_at: string;
}

export interface CustomerRec {
  lago_id: string;
  sequential_id: number;
  slug: string;
  external_id: string;
  name: string | null;
  email: string | null;
  currency: string | null;
  applicable_timezone: string;
  created_at: string;
  updated_at: string;
}

export type SubscriptionStatus = 'active' | 'pending' | 'terminated' | 'canceled';

export interface SubscriptionRec {
  lago_id: string;
  external_id: string;
  lago_customer_id: string;
  external_customer_id: string;
  billing_time: 'calendar' | 'anniversary';
  name: string | null;
  plan_code: string;
  plan_amount_cents: number;
  plan_amount_currency: string;
  status: SubscriptionStatus;
  created_at: string;
  canceled_at: string | null;
  started_at: string | null;
  ending_at: string | null;
  subscription_at: string;
  terminated_at: string | null;
  previous_plan_code: string | null;
  next_plan_code: string | null;
  downgrade_plan_date: string | null;
  trial_ended_at: string | null;
  on_termination_credit_note: null;
  on_termination_invoice: 'generate' | 'skip';
}

export interface EventRec {
  lago_id: string;
  transaction_id: string;
  lago_customer_id: null;
  code: string;
  timestamp: string;
  properties: Record<string, unknown>;
  lago_subscription_id: string | null;
  external_subscription_id: string;
  precise_total_amount_cents: string | null;
  created_at: string;
}

/** One request as the fake saw it; tests count calls with it. */
export interface RequestRec {
  method: string;
  path: string;
  status: number;
}
