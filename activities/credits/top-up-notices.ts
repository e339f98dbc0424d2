import type { NotificationInput } from '../notify/outbox';

/** The mail telling a customer one try of their automatic top-up was declined, once per try. */
export function declinedNotice(
  customer: { id: string; email: string } | null,
  req: { customerId: string; crossingKey: string; attempt: number },
  reason: string,
): NotificationInput | null {
  if (!customer) return null;
  return {
    customerId: customer.id,
    email: customer.email,
    kind: 'top_up_declined',
    dedupeKey: `top_up_declined:${req.crossingKey}:${req.attempt}`,
    payload: { reason, attempt: req.attempt },
  };
}
