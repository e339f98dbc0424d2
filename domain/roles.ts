/** People's roles form a ladder: each one includes what the ones below it may do. */
export const ROLES = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * The AI gateway is a service, not a person: it stands beside the ladder, not on it. It reports usage and
 * checks access for any customer and reads their provider keys, and may call nothing a person may, so a
 * leaked gateway token never reads revenue or customers' emails, and no admin token reads keys.
 */
export const GATEWAY_ROLE = 'billing-gateway';
export type Principal = Role | typeof GATEWAY_ROLE;

/** Who may call a route, as declared on it (see api/route.ts). */
export type Access = 'public' | Role | typeof GATEWAY_ROLE | `${Role}|${typeof GATEWAY_ROLE}`;

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** The highest known role among the token's roles; anyone authenticated is at least a viewer. */
export function highestRole(roles: readonly string[]): Role {
  let best = 0;
  for (const r of roles) if (isRole(r)) best = Math.max(best, ROLES.indexOf(r));
  return ROLES[best] as Role;
}

export class ConflictingRoles extends Error {}

/**
 * What a token's roles make its bearer. `viewer` alongside the gateway role is tolerated (a realm may give
 * every account, service accounts included, a default viewer role); editor or admin is refused, since one
 * token that is both a person with powers and the gateway would hold both sets of powers.
 */
export function principalOf(roles: readonly string[]): Principal {
  if (!roles.includes(GATEWAY_ROLE)) return highestRole(roles);
  if (roles.includes('editor') || roles.includes('admin'))
    throw new ConflictingRoles(`${GATEWAY_ROLE} cannot be combined with editor or admin`);
  return GATEWAY_ROLE;
}

export function hasRole(have: Principal, need: Role): boolean {
  if (have === GATEWAY_ROLE) return false;
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/** Every principal a route's access lets in; null for a public route (anyone, no token needed). */
export function allowedPrincipals(access: Access): Principal[] | null {
  if (access === 'public') return null;
  if (access === GATEWAY_ROLE) return [GATEWAY_ROLE];
  const [person, gateway] = access.split('|') as [Role, string | undefined];
  const people = ROLES.filter((r) => hasRole(r, person));
  return gateway ? [...people, GATEWAY_ROLE] : people;
}

export function mayCall(principal: Principal, access: Access): boolean {
  return allowedPrincipals(access)?.includes(principal) ?? true;
}
