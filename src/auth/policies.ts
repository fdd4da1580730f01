import type { Role } from '../db/schema.ts';
import type { Principal } from './principal.ts';

type MemberRole = Exclude<Role, 'ADMIN'>;

/**
 * What the keys of an organization may do, by role: the one place roles are listed. GraphQL
 * fields (the `member` and `memberOf` scopes of schema/builder.ts) and the REST routes (http/)
 * both ask these policies. ADMIN keys belong to no organization; a field says on its own where
 * ADMIN may act too.
 */
const POLICIES = {
  /** See the organization itself. */
  viewOrganization: ['OWNER', 'VIEWER', 'INGEST'],
  /** Read usage and quotas: usage, checkQuota, usageHistory. */
  readUsage: ['OWNER', 'VIEWER', 'INGEST'],
  /** Read and check the organization's entitlements: entitlements, checkFeature. */
  readEntitlements: ['OWNER', 'VIEWER', 'INGEST'],
  /** Record usage: recordUsage, recordUsageBatch, POST /v1/usage. */
  recordUsage: ['OWNER', 'INGEST'],
  /** Read the subscription, invoices, alerts and plan-change previews, and watch them live. */
  readBilling: ['OWNER', 'VIEWER'],
  /** Change the plan, cancel and resume, open Checkout and the customer portal. */
  manageBilling: ['OWNER'],
  /** Register and remove webhook endpoints. */
  manageWebhooks: ['OWNER'],
  /** Make and revoke the organization's API keys. */
  manageKeys: ['OWNER'],
} as const satisfies Record<string, readonly MemberRole[]>;

export type Policy = keyof typeof POLICIES;

/**
 * Whether the caller is a key of an organization whose role the policy allows; with
 * `organizationId`, of that organization.
 */
export function allows(
  principal: Principal | null,
  policy: Policy,
  organizationId?: string,
): principal is Principal & { organizationId: string } {
  if (!principal?.organizationId) return false;
  if (organizationId !== undefined && principal.organizationId !== organizationId) return false;
  return (POLICIES[policy] as readonly Role[]).includes(principal.role);
}
