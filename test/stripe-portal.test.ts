import type { StripeFake } from '@graphql-billing/stripe-fake';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization } from './support/fixtures.ts';
import { gql } from './support/graphql.ts';
import type { TestServer } from './support/server.ts';
import { startStripeServer } from './support/stripe.ts';

/** The customer portal against the Stripe fake, whose portal starts unconfigured like Stripe's. */
let fake: StripeFake;
let server: TestServer;
let stopServer: () => Promise<void>;

beforeAll(async () => {
  ({ fake, server, stop: stopServer } = await startStripeServer({ webhooks: false }));
});
afterAll(() => stopServer?.());

const PORTAL =
  'mutation { createPortalSession(returnUrl: "https://app.example/billing") { __typename ... on PortalSessionSuccess { session { url } } ... on BillingProviderError { message code } } }';

describe('createPortalSession', () => {
  it('answers BillingProviderError portal_not_configured, saying what to configure, until the portal is set up in Stripe', async () => {
    const org = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: null });

    const refused = await gql(server.graphqlUrl, PORTAL, { key: org.ownerKey });
    expect(refused.errors).toBeUndefined();
    expect(refused.data?.createPortalSession).toEqual({
      __typename: 'BillingProviderError',
      code: 'portal_not_configured',
      message: expect.stringContaining(
        'save its settings once in the Stripe Dashboard → Settings → Billing → Customer portal, in test mode',
      ),
    });
    expect(refused.data?.createPortalSession.message).toContain(
      'https://dashboard.stripe.com/test/settings/billing/portal',
    );
    const attempts = fake.requests.filter((r) => r.path === '/v1/billing_portal/sessions');
    expect(attempts.map((r) => r.status)).toEqual([400]);

    fake.configurePortal();
    const opened = await gql(server.graphqlUrl, PORTAL, { key: org.ownerKey });
    expect(opened.data?.createPortalSession.__typename).toBe('PortalSessionSuccess');
    expect(opened.data?.createPortalSession.session.url).toMatch(
      new RegExp(`^${fake.url}/portal/bps_`),
    );
    // One customer for the organization, made by the first call and reused by the second.
    const customers = [...fake.state.customers.values()].filter(
      (customer) => customer.metadata.organization_id === org.id,
    );
    expect(customers).toHaveLength(1);
  });
});
