import type { RequestContext } from '../context.ts';
import { ValidationError } from '../errors.ts';

/**
 * Who may watch which organization's live events: OWNER and VIEWER keys their own (an
 * organizationId, if given, must be theirs); ADMIN keys any, naming it with organizationId.
 * INGEST keys may not subscribe.
 */
export function liveScopes(
  _root: unknown,
  args: { organizationId?: string | number | null },
  ctx: RequestContext,
): boolean {
  const principal = ctx.principal;
  if (!principal) return false;
  if (principal.role === 'ADMIN') return true;
  if (principal.role !== 'OWNER' && principal.role !== 'VIEWER') return false;
  return args.organizationId == null || String(args.organizationId) === principal.organizationId;
}

/** The organization a live field follows (after liveScopes allowed the caller). */
export function liveOrganization(
  ctx: RequestContext,
  organizationId: string | number | null | undefined,
): string {
  if (organizationId != null) return String(organizationId);
  if (ctx.principal?.organizationId) return ctx.principal.organizationId;
  throw ValidationError.forField(['organizationId'], 'is required with an ADMIN key');
}
