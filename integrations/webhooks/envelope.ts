import type { BillingEvent, Customer } from '../../db/entities';

/**
 * An event as endpoints receive it: its stable id (also the `webhook-id` header, the same on every retry),
 * its type, when it happened, the customer it is about, and the object as the API shows it. Field names
 * follow the API's: snake_case, money in integer cents, times in ISO 8601.
 */
export function eventEnvelope(
  event: Pick<BillingEvent, 'id' | 'type' | 'createdAt' | 'payload'>,
  customer: Pick<Customer, 'id' | 'email' | 'userId'> | null,
) {
  return {
    id: event.id,
    type: event.type,
    timestamp: event.createdAt.toISOString(),
    customer: customer ? { id: customer.id, email: customer.email, user_id: customer.userId } : null,
    data: event.payload,
  };
}
