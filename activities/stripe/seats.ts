import type { SubscriptionSnapshot } from '../../domain/stripe-snapshots';
import type { ActivityDeps } from '../deps';
import { updateSubscription } from './update-subscription';

/** Seats on a plan priced per seat: the quantity of the subscription's plan item. */
export function createStripeSeatActivities(deps: ActivityDeps) {
  /**
   * Sets the plan item's quantity (the seats), prorated as Stripe does: more seats are invoiced at once,
   * fewer leave their credit on the next invoice.
   */
  async function changeSubscriptionQuantity(req: {
    stripeSubscriptionId: string;
    itemId: string;
    quantity: number;
    invoiceNow: boolean;
    changeKey: string;
  }): Promise<SubscriptionSnapshot> {
    return updateSubscription(
      deps,
      req.stripeSubscriptionId,
      {
        items: [{ id: req.itemId, quantity: req.quantity }],
        proration_behavior: req.invoiceNow ? 'always_invoice' : 'create_prorations',
      },
      `quantity-change:${req.changeKey}`,
    );
  }

  return { changeSubscriptionQuantity };
}
