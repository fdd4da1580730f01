import { allows, type Policy } from '../auth/policies.ts';
import type { RequestContext } from '../context.ts';
import { ValidationError } from '../errors.ts';

/**
 * Fields that act on "the caller's organization" with an optional organizationId: keys the policy
 * allows act on their own organization (an organizationId, if given, must be theirs); ADMIN keys
 * act on any, naming it. Other roles are refused.
 */
export function organizationScopes(policy: Policy) {
  return (
    _root: unknown,
    args: { organizationId?: string | number | null },
    ctx: RequestContext,
  ): boolean => {
    const principal = ctx.principal;
    if (!principal) return false;
    if (principal.role === 'ADMIN') return true;
    return allows(
      principal,
      policy,
      args.organizationId == null ? undefined : String(args.organizationId),
    );
  };
}

/** The organization such a field acts on (after organizationScopes allowed the caller). */
export function scopedOrganization(
  ctx: RequestContext,
  organizationId: string | number | null | undefined,
): string {
  if (organizationId != null) return String(organizationId);
  if (ctx.principal?.organizationId) return ctx.principal.organizationId;
  throw ValidationError.forField(['organizationId'], 'is required with an ADMIN key');
}
