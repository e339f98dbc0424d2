/** Workflow ids are business keys, so a second start for the same thing finds the first. */
export const workflowIds = {
  customer: (userId: string) => `customer-${userId}`,
  subscription: (subscriptionId: string) => `subscription-${subscriptionId}`,
  dunning: (invoiceId: string) => `dunning-${invoiceId}`,
  usageRollup: () => 'usage-rollup',
  catalogSync: () => 'catalog-sync',
};
