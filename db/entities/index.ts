import { BillingEventSchema } from './billing-event';
import { CreditGrantSchema } from './credit-grant';
import { CreditMovementSchema } from './credit-movement';
import { CreditPackSchema } from './credit-pack';
import { CreditSettingsSchema } from './credit-settings';
import { CreditTopUpSchema } from './credit-top-up';
import { AccessSyncFailureSchema } from './access-sync-failure';
import { AuditEntrySchema } from './audit-entry';
import { ChargeSchema } from './charge';
import { CommitmentPeriodSchema, CommitmentSchema } from './commitment';
import { PrepaidCommitSchema } from './prepaid-commit';
import { PlanMigrationItemSchema, PlanMigrationSchema } from './plan-migration';
import { ModelCostOverrideSchema } from './model-cost-override';
import { CreditNoteSchema } from './credit-note';
import { CustomerSchema } from './customer';
import { DailyUsageSchema } from './daily-usage';
import { EngineSettingSchema } from './engine-setting';
import { InvoiceSchema } from './invoice';
import { LeaseSchema } from './lease';
import { NotificationSchema } from './notification';
import { PaymentMethodSchema } from './payment-method';
import { PlanSchema } from './plan';
import { ProviderKeySchema } from './provider-key';
import { QuotaDenialDaySchema } from './quota-denial-day';
import { RateLimitBucketSchema } from './rate-limit-bucket';
import { RefundSchema } from './refund';
import { SubscriptionSchema } from './subscription';
import { SubscriptionChangeSchema } from './subscription-change';
import { TableCountSchema } from './table-count';
import { UsageEventSchema } from './usage-event';
import { UsageEventPartSchema } from './usage-event-part';
import { SubjectBudgetSchema, SubjectUsageSchema } from './subject-budget';
import { UsageRollupSchema } from './usage-rollup';
import { UsageTypeSchema } from './usage-type';
import { StripeEventSchema } from './stripe-event';
import { EntitlementOverrideSchema } from './entitlement-override';
import { CouponRedemptionSchema, CouponSchema, PromotionCodeSchema } from './coupon';
import { WebhookAttemptSchema, WebhookDeliverySchema, WebhookEndpointSchema } from './webhook-endpoint';

export * from './access-sync-failure';
export * from './model-cost-override';
export * from './usage-event-part';
export * from './billing-event';
export * from './credit-grant';
export * from './credit-movement';
export * from './credit-pack';
export * from './credit-settings';
export * from './credit-top-up';
export * from './audit-entry';
export * from './charge';
export * from './commitment';
export * from './prepaid-commit';
export * from './plan-migration';
export * from './credit-note';
export * from './customer';
export * from './daily-usage';
export * from './engine-setting';
export * from './invoice';
export * from './lease';
export * from './notification';
export * from './payment-method';
export * from './plan';
export * from './provider-key';
export * from './quota-denial-day';
export * from './rate-limit-bucket';
export * from './refund';
export * from './subscription';
export * from './subscription-change';
export * from './table-count';
export * from './usage-event';
export * from './subject-budget';
export * from './usage-rollup';
export * from './usage-type';
export * from './stripe-event';
export * from './entitlement-override';
export * from './webhook-endpoint';
export * from './coupon';

export const entities = [
  CustomerSchema,
  PlanSchema,
  SubscriptionSchema,
  SubscriptionChangeSchema,
  InvoiceSchema,
  ChargeSchema,
  PaymentMethodSchema,
  UsageEventSchema,
  SubjectBudgetSchema,
  SubjectUsageSchema,
  UsageRollupSchema,
  UsageTypeSchema,
  DailyUsageSchema,
  StripeEventSchema,
  ProviderKeySchema,
  AuditEntrySchema,
  NotificationSchema,
  EngineSettingSchema,
  CreditNoteSchema,
  LeaseSchema,
  RefundSchema,
  QuotaDenialDaySchema,
  AccessSyncFailureSchema,
  TableCountSchema,
  RateLimitBucketSchema,
  BillingEventSchema,
  CreditGrantSchema,
  CreditMovementSchema,
  CreditPackSchema,
  CreditSettingsSchema,
  CreditTopUpSchema,
  WebhookEndpointSchema,
  WebhookDeliverySchema,
  WebhookAttemptSchema,
  EntitlementOverrideSchema,
  CouponSchema,
  PromotionCodeSchema,
  CouponRedemptionSchema,
  CommitmentSchema,
  CommitmentPeriodSchema,
  PrepaidCommitSchema,
  PlanMigrationSchema,
  PlanMigrationItemSchema,
  ModelCostOverrideSchema,
  UsageEventPartSchema,
];
