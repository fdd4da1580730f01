import { asc, gt } from 'drizzle-orm';
import { z } from 'zod';
import type { RequestContext } from '../../context.ts';
import { newId } from '../../db/ids.ts';
import { type OrganizationRow, organizations } from '../../db/schema.ts';
import { ValidationError } from '../../errors.ts';
import { intervalSold, latestPlanVersion } from '../catalog/plan-store.ts';
import {
  type Connection,
  decodeCursor,
  type PageArgs,
  toConnection,
} from '../common/pagination.ts';
import { startSubscription } from '../subscriptions/subscription-start.ts';
import { type IssuedApiKey, issueApiKey } from './api-key-issuing.ts';

export const createOrganizationInput = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  billingEmail: z.email('must be an e-mail address').max(320).nullish(),
  planKey: z.string().trim().min(1).max(64).nullish(),
  /** How often the base is charged; the plan's default interval when left out. */
  interval: z.enum(['MONTH', 'YEAR']).nullish(),
});

export interface CreatedOrganization {
  organization: OrganizationRow;
  ownerKey: IssuedApiKey;
}

/**
 * Creates an organization with its first OWNER key and, given a plan, an ACTIVE subscription on
 * the plan's current version; all or nothing.
 */
export async function createOrganization(
  ctx: RequestContext,
  input: z.infer<typeof createOrganizationInput>,
): Promise<CreatedOrganization> {
  const now = ctx.now();
  const created = await ctx.db.transaction(async (tx) => {
    const plan = input.planKey ? await latestPlanVersion(tx, input.planKey) : null;
    if (input.planKey && !plan?.active) {
      throw ValidationError.forField(
        ['input', 'planKey'],
        `no plan "${input.planKey}" is on sale; see the plans query`,
      );
    }
    const interval = plan ? await intervalSold(tx, plan, input.interval ?? null, ['input']) : null;
    const [organization] = await tx
      .insert(organizations)
      .values({
        id: newId('org'),
        name: input.name,
        billingEmail: input.billingEmail ?? null,
        // The server's clock, like the subscription's start: usage before it is refused.
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    if (!organization) throw new Error('insert into organizations returned no row');
    const ownerKey = await issueApiKey(tx, { role: 'OWNER', organizationId: organization.id });
    if (plan && interval) {
      await startSubscription(tx, organization.id, plan, now, {
        interval,
        billedByStripe: ctx.stripe !== null,
      });
    }
    return { organization, ownerKey };
  });
  ctx.log.info(
    { organizationId: created.organization.id, planKey: input.planKey ?? null },
    'organization created',
  );
  // With Stripe, the customer and the subscription are made by a job: Stripe being slow or down
  // never fails the creation, and the job retries with the same idempotency keys.
  if (ctx.stripe && input.planKey) {
    await ctx.jobs.send('stripe-provision', { organizationId: created.organization.id });
  }
  return created;
}

export function findOrganization(ctx: RequestContext, id: string): Promise<OrganizationRow | null> {
  return ctx.loaders.organizationById.load(id);
}

/** Every organization, oldest first (ADMIN). */
export async function listOrganizations(
  ctx: RequestContext,
  page: PageArgs,
): Promise<Connection<OrganizationRow>> {
  const rows = await ctx.db
    .select()
    .from(organizations)
    .where(page.after ? gt(organizations.id, decodeCursor(page.after)) : undefined)
    .orderBy(asc(organizations.id))
    .limit(page.first + 1);
  for (const row of rows) ctx.loaders.organizationById.prime(row.id, row);
  return toConnection(rows, page, (row) => row.id);
}
