import { and, eq, isNull } from 'drizzle-orm';
import { z } from 'zod';
import { displayPrefixOf, generateKeySecret, hashKeySecret } from '../../auth/key-secrets.ts';
import type { Principal } from '../../auth/principal.ts';
import type { RequestContext } from '../../context.ts';
import type { Executor } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import { apiKeys, organizations } from '../../db/schema.ts';
import { NotFoundError } from '../../errors.ts';
import { announceKeyRevoked } from '../live/announcements.ts';

/** A key as the API shows it: the secret only in the response that created it. */
export interface IssuedApiKey {
  id: string;
  role: Principal['role'];
  secret: string | null;
  createdAt: Date;
}

/** A key of an organization, or (organizationId null) a platform ADMIN key. */
export type KeyOwner =
  | { role: 'ADMIN'; organizationId: null }
  | { role: Exclude<Principal['role'], 'ADMIN'>; organizationId: string };

/** Makes a key; also used inside larger transactions (createOrganization). */
export async function issueApiKey(db: Executor, owner: KeyOwner): Promise<IssuedApiKey> {
  const secret = generateKeySecret();
  const [row] = await db
    .insert(apiKeys)
    .values({
      id: newId('key'),
      organizationId: owner.organizationId,
      role: owner.role,
      keyHash: hashKeySecret(secret),
      displayPrefix: displayPrefixOf(secret),
    })
    .returning({ id: apiKeys.id, role: apiKeys.role, createdAt: apiKeys.createdAt });
  if (!row) throw new Error('insert into api_keys returned no row');
  return { ...row, secret };
}

export const createApiKeyInput = z.object({
  organizationId: z.string().min(1).max(64),
  role: z.enum(['OWNER', 'VIEWER', 'INGEST'], {
    error:
      'ADMIN keys belong to the platform, not to an organization; make them with `npm run cli -- create-key --role ADMIN`',
  }),
});

/** ADMIN, or the OWNER of the organization (checked by the caller's auth scopes). */
export async function createApiKey(
  ctx: RequestContext,
  input: z.infer<typeof createApiKeyInput>,
): Promise<IssuedApiKey> {
  const [organization] = await ctx.db
    .select({ id: organizations.id })
    .from(organizations)
    .where(eq(organizations.id, input.organizationId));
  if (!organization) throw new NotFoundError('Organization');
  const key = await issueApiKey(ctx.db, { role: input.role, organizationId: organization.id });
  ctx.log.info(
    { keyId: key.id, organizationId: organization.id, role: key.role },
    'api key created',
  );
  return key;
}

/**
 * Revokes a key (ADMIN, or the OWNER of the key's organization): it stops authenticating at once
 * on this instance (the announcement is heard here synchronously, after the update committed),
 * within AUTH_KEY_CACHE_MS elsewhere whether or not Redis is up (at once where the live event
 * arrives; open sockets re-check their key on that period), and its open sockets are closed
 * (4403). Another organization's key is "not found", not "forbidden".
 */
export async function revokeApiKey(ctx: RequestContext, keyId: string): Promise<IssuedApiKey> {
  const principal = ctx.principal;
  const [key] = await ctx.db
    .update(apiKeys)
    .set({ revokedAt: ctx.now() })
    .where(
      and(
        eq(apiKeys.id, keyId),
        isNull(apiKeys.revokedAt),
        principal?.role === 'ADMIN'
          ? undefined
          : eq(apiKeys.organizationId, principal?.organizationId ?? ''),
      ),
    )
    .returning({ id: apiKeys.id, role: apiKeys.role, createdAt: apiKeys.createdAt });
  if (!key) throw new NotFoundError('API key');
  announceKeyRevoked(ctx, key.id);
  ctx.log.info({ keyId: key.id }, 'api key revoked');
  return { ...key, secret: null };
}
