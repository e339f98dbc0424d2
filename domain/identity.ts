import type { Principal } from './roles';

/** Who is calling, from a verified bearer token. */
export interface Identity {
  sub: string;
  email: string;
  name: string | null;
  roles: string[];
  /** A person's rung on the ladder, or the gateway (see domain/roles.ts). */
  role: Principal;
  /** When the token stops being valid (ms since the epoch). */
  expMs: number;
}
