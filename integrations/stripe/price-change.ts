import type Stripe from 'stripe';

export interface PriceChange {
  stripeSubscriptionId: string;
  itemId: string;
  priceId: string;
  /** The subscription's metered overage item, if it has one. */
  usageItemId?: string | null;
  /**
   * The new plan's metered overage price: swapped onto the usage item, added, or (null) the item removed.
   * Undefined leaves the usage item as it is.
   */
  usagePriceId?: string | null;
  /** `always_invoice` charges the proration now (upgrades); `none` switches at renewal (downgrades). */
  prorationBehavior: 'always_invoice' | 'create_prorations' | 'none';
  /** Names this change, so a retry does not apply it twice. */
  changeKey: string;
  /** Ends a trial with the change (a trial's chosen continuation): Stripe bills the new price's period now. */
  endTrialNow?: boolean;
  /** A promotion code redeemed with the change, before its prorations (which it then discounts). */
  promotionCodeId?: string | null;
}

/** How the metered overage item follows a plan change. */
function usageItemChange(c: PriceChange): Stripe.SubscriptionUpdateParams.Item[] {
  if (c.usagePriceId === undefined) return [];
  if (c.usageItemId)
    return [
      c.usagePriceId ? { id: c.usageItemId, price: c.usagePriceId } : { id: c.usageItemId, deleted: true },
    ];
  return c.usagePriceId ? [{ price: c.usagePriceId }] : [];
}

/**
 * What a plan change sends Stripe: the plan item's new price, the metered item following it, the
 * proration, and what ends a trial or redeems a code with it. The change and its rehearsal both build it
 * here, so a rehearsal names exactly the call the change will make.
 */
export function priceChangeParams(c: PriceChange): Stripe.SubscriptionUpdateParams {
  return {
    items: [{ id: c.itemId, price: c.priceId }, ...usageItemChange(c)],
    proration_behavior: c.prorationBehavior,
    // The trial's own end (cancel_at) stops applying once it has become a paid plan.
    ...(c.endTrialNow ? { trial_end: 'now' as const, cancel_at: '' as const } : {}),
    ...(c.promotionCodeId
      ? { discounts: [{ promotion_code: c.promotionCodeId }], expand: ['discounts'] }
      : {}),
  };
}
