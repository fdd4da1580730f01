import { eq } from 'drizzle-orm';
import type { BackgroundServices } from '../../context.ts';
import { organizations } from '../../db/schema.ts';
import type { StripeGateway } from '../../stripe/gateway.ts';

/** The organization's Stripe customer, made (and remembered) when missing. */
export async function stripeCustomerOf(
  services: Pick<BackgroundServices, 'db'>,
  stripe: StripeGateway,
  organizationId: string,
): Promise<string> {
  const [organization] = await services.db
    .select()
    .from(organizations)
    .where(eq(organizations.id, organizationId));
  if (!organization) throw new Error(`organization ${organizationId} not found`);
  if (organization.stripeCustomerId) return organization.stripeCustomerId;
  const customer = await stripe.createCustomer(organization);
  await services.db
    .update(organizations)
    .set({ stripeCustomerId: customer.id })
    .where(eq(organizations.id, organizationId));
  return customer.id;
}
