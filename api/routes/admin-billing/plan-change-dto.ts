import type { AdminChangeResult } from '../../../services/subscriptions/change-as-admin';

/** `PATCH /admin/subscriptions/{email}`: each step the workflow applied, with its answer. */
export function adminChangeDto(r: AdminChangeResult) {
  return { success: true, subscription_id: r.subscriptionId, email: r.email, applied: r.applied };
}
