import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Attributes an operator filters runs by in the Temporal UI; registered by `npm run dev` and the tests. */
export const CustomerId = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const CustomerEmail = defineSearchAttributeKey('CustomerEmail', SearchAttributeType.KEYWORD);
export const PlanTier = defineSearchAttributeKey('PlanTier', SearchAttributeType.KEYWORD);
export const SubscriptionStatus = defineSearchAttributeKey('SubscriptionStatus', SearchAttributeType.KEYWORD);
export const NextBillingAt = defineSearchAttributeKey('NextBillingAt', SearchAttributeType.DATETIME);

export const ALL_SEARCH_ATTRIBUTES = [CustomerId, CustomerEmail, PlanTier, SubscriptionStatus, NextBillingAt];
