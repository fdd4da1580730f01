import type { Role } from '../db/schema.ts';

/** Who is calling: the API key behind the request. */
export interface Principal {
  keyId: string;
  role: Role;
  /** Null for ADMIN keys, which belong to the platform rather than to an organization. */
  organizationId: string | null;
}
