import type { RequestContext } from '../context.ts';
import type { Role } from '../db/schema.ts';
import { ValidationError } from '../errors.ts';

/**
 * Fields that act on "the caller's organization" with an optional organizationId: keys of these
 * roles act on their own organization (an organizationId, if given, must be theirs); ADMIN keys
 * act on any, naming it. Other roles are refused.
 */
export function organizationScopes(roles: readonly Role[]) {
  return (
    _root: unknown,
    args: { organizationId?: string | number | null },
    ctx: RequestContext,
  ): boolean => {
    const principal = ctx.principal;
    if (!principal) return false;
    if (principal.role === 'ADMIN') return true;
    if (!roles.includes(principal.role)) return false;
    return args.organizationId == null || String(args.organizationId) === principal.organizationId;
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
