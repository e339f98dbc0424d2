/** The user attributes the engine owns in Keycloak; every other attribute belongs to someone else. */
export const SUBSCRIPTION_ATTRIBUTES = [
  'subscription_tier',
  'subscription_status',
  'stripe_customer_id',
  'stripe_subscription_id',
  'subscription_start_date',
  'subscription_end_date',
] as const;

export type SubscriptionAttributeName = (typeof SUBSCRIPTION_ATTRIBUTES)[number];

export interface SubscriptionAttributes {
  subscription_tier: string;
  subscription_status: string;
  stripe_customer_id: string | null;
  stripe_subscription_id: string | null;
  subscription_start_date: string | null;
  subscription_end_date: string | null;
}

export type UserAttributes = Record<string, string[]>;

function sameValues(a: string[] | undefined, b: string[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * Our attributes laid over the user's current ones. Keycloak's user update replaces the whole attribute
 * map, so everything else is carried over untouched; a null removes the attribute rather than storing
 * an empty string that other readers would mistake for a value.
 */
export function mergeAttributes(
  current: UserAttributes | undefined,
  ours: SubscriptionAttributes,
): { merged: UserAttributes; changed: boolean } {
  const merged: UserAttributes = { ...current };
  let changed = false;
  for (const name of SUBSCRIPTION_ATTRIBUTES) {
    const value = ours[name];
    const wanted = value === null ? undefined : [value];
    if (!sameValues(merged[name], wanted)) changed = true;
    if (wanted) merged[name] = wanted;
    else delete merged[name];
  }
  return { merged, changed };
}

/** The attributes we wrote but Keycloak did not keep (undeclared in the realm's user profile). */
export function missingAttributes(
  stored: UserAttributes | undefined,
  ours: SubscriptionAttributes,
): string[] {
  return SUBSCRIPTION_ATTRIBUTES.filter((name) => {
    const value = ours[name];
    return value !== null && !sameValues(stored?.[name], [value]);
  });
}
