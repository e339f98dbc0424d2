/**
 * An invoice as clients read it (money in dollars beside integer cents, dates in ISO 8601), with the
 * engine's own PDF link and what was refunded and credited on it: the shape the outgoing webhooks carry
 * too (integrations/webhooks/objects.ts).
 */
export { invoiceObject as invoiceDto } from '../../../integrations/webhooks/objects';
