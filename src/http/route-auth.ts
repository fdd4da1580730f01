import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerProblem } from '../auth/bearer.ts';
import { allows, type Policy } from '../auth/policies.ts';
import type { Principal } from '../auth/principal.ts';
import type { Services } from '../context.ts';
import { sendJson } from './respond.ts';

/**
 * The key of a REST call, if it may do what `policy` allows for its organization: otherwise the
 * answer is sent (401 without a valid key, 403 for a role the policy refuses) and null returned.
 */
export async function memberOf(
  services: Pick<Services, 'authenticate'>,
  req: IncomingMessage,
  res: ServerResponse,
  policy: Policy,
  what: string,
): Promise<(Principal & { organizationId: string }) | null> {
  const auth = await services.authenticate(req.headers.authorization);
  if (!auth.ok || !auth.principal) {
    sendJson(res, 401, {
      error: auth.ok
        ? 'An API key is required: Authorization: Bearer <key>'
        : bearerProblem(auth.reason),
    });
    return null;
  }
  const { principal } = auth;
  if (!allows(principal, policy)) {
    sendJson(res, 403, { error: `Forbidden: ${principal.role} keys may not ${what}` });
    return null;
  }
  return principal;
}
