import { and, eq, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { RequestContext } from '../../context.ts';
import { newId } from '../../db/ids.ts';
import { queryRows } from '../../db/raw.ts';
import { type WebhookEndpointRow, webhookEndpoints } from '../../db/schema.ts';
import { NotFoundError, ValidationError } from '../../errors.ts';
import { outboundPolicy, targetProblem } from './outbound-address.ts';
import { generateSigningSecret } from './webhook-signature.ts';

/** An endpoint as the API shows it: the secret only in the response that created it. */
export type EndpointView = Omit<WebhookEndpointRow, 'signingSecret'> & { secret: string | null };

const MAX_ENDPOINTS = 10;

export function webhookUrlInput(allowLocalHttp: boolean) {
  return z.object({
    url: z
      .url({ error: 'must be a URL' })
      .max(2048)
      .superRefine((text, ctx) => {
        // zod's check lets through what the URL parser refuses (a port of 99999, say).
        if (!URL.canParse(text)) {
          ctx.addIssue({ code: 'custom', message: 'must be a URL whose port is 1 to 65535' });
          return;
        }
        const url = new URL(text);
        if (url.protocol === 'https:') return;
        const local = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
        if (allowLocalHttp && url.protocol === 'http:' && local) return;
        ctx.addIssue({
          code: 'custom',
          message: allowLocalHttp ? 'must be https, or http on localhost' : 'must be https',
        });
      }),
  });
}

/**
 * Registers an endpoint for the caller's organization (OWNER); the secret is shown once. A URL
 * with user info, or whose host is or resolves to a non-public address that the allow-list does
 * not allow, is refused (delivery checks the address it connects to again).
 */
export async function createWebhookEndpoint(
  ctx: RequestContext,
  organizationId: string,
  url: string,
): Promise<EndpointView> {
  const [count] = await queryRows<{ n: number }>(
    ctx.db,
    sql`select count(*)::int as n from webhook_endpoints where organization_id = ${organizationId} and deleted_at is null`,
  );
  if ((count?.n ?? 0) >= MAX_ENDPOINTS) {
    throw ValidationError.forField(
      ['url'],
      `an organization has at most ${MAX_ENDPOINTS} endpoints`,
    );
  }
  const problem = await targetProblem(url, outboundPolicy(ctx.config.alerts.webhookAllowedPrivate));
  if (problem) throw ValidationError.forField(['url'], problem);
  const secret = generateSigningSecret();
  const [row] = await ctx.db
    .insert(webhookEndpoints)
    .values({ id: newId('we'), organizationId, url, signingSecret: secret })
    .returning();
  if (!row) throw new Error('insert into webhook_endpoints returned no row');
  ctx.log.info({ endpointId: row.id, organizationId }, 'webhook endpoint created');
  return { ...view(row), secret };
}

/** Removes an endpoint of the caller's organization; pending deliveries to it then fail. */
export async function deleteWebhookEndpoint(
  ctx: RequestContext,
  organizationId: string,
  id: string,
): Promise<EndpointView> {
  const [row] = await ctx.db
    .update(webhookEndpoints)
    .set({ deletedAt: ctx.now() })
    .where(
      and(
        eq(webhookEndpoints.id, id),
        eq(webhookEndpoints.organizationId, organizationId),
        isNull(webhookEndpoints.deletedAt),
      ),
    )
    .returning();
  if (!row) throw new NotFoundError('Webhook endpoint');
  return view(row);
}

/** Live endpoints of one organization, or of all (ADMIN), oldest first. */
export async function listWebhookEndpoints(
  ctx: RequestContext,
  organizationId: string | null,
): Promise<EndpointView[]> {
  const rows = await ctx.db
    .select()
    .from(webhookEndpoints)
    .where(
      and(
        isNull(webhookEndpoints.deletedAt),
        organizationId ? eq(webhookEndpoints.organizationId, organizationId) : undefined,
      ),
    )
    .orderBy(webhookEndpoints.id);
  return rows.map(view);
}

function view(row: WebhookEndpointRow): EndpointView {
  const { signingSecret: _hidden, ...rest } = row;
  return { ...rest, secret: null };
}
