/**
 * The caller's subscription as clients read it: the same shape the outgoing webhooks carry
 * (integrations/webhooks/objects.ts), so the two cannot drift apart.
 */
export {
  subscriptionObject as subscriptionDto,
  pendingChangeObject as pendingChangeDto,
} from '../../../integrations/webhooks/objects';
