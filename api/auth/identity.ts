import type { Role } from '../../domain/roles';

/** Who is calling, from a verified bearer token. */
export interface Identity {
  sub: string;
  email: string;
  name: string | null;
  roles: string[];
  role: Role;
  /** When the token stops being valid (ms since the epoch). */
  expMs: number;
}
