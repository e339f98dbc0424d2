/** Roles form a ladder: each one includes what the ones below it may do. */
export const ROLES = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** The highest known role among the token's roles; anyone authenticated is at least a viewer. */
export function highestRole(roles: readonly string[]): Role {
  let best = 0;
  for (const r of roles) if (isRole(r)) best = Math.max(best, ROLES.indexOf(r));
  return ROLES[best] as Role;
}

export function hasRole(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}
