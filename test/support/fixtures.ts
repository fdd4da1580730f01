import { gql } from './graphql.ts';

export interface TestOrganization {
  id: string;
  name: string;
  ownerKey: string;
}

let counter = 0;

/** A tenant of its own for a test: an organization made through the API, with its OWNER key. */
export async function createOrganization(
  graphqlUrl: string,
  adminKey: string,
  input: { name?: string; planKey?: string | null; billingEmail?: string | null } = {},
): Promise<TestOrganization> {
  const name = input.name ?? `Test org ${process.pid}-${++counter}-${Date.now()}`;
  const response = await gql(
    graphqlUrl,
    `mutation ($input: CreateOrganizationInput!) {
      createOrganization(input: $input) {
        __typename
        ... on CreateOrganizationSuccess { organization { id name } ownerKey { secret } }
        ... on ValidationError { message }
      }
    }`,
    {
      key: adminKey,
      variables: {
        input: {
          name,
          planKey: input.planKey === undefined ? 'starter' : input.planKey,
          billingEmail: input.billingEmail ?? 'billing@example.test',
        },
      },
    },
  );
  const result = response.data?.createOrganization;
  if (result?.__typename !== 'CreateOrganizationSuccess') {
    throw new Error(`createOrganization failed: ${JSON.stringify(response)}`);
  }
  return {
    id: result.organization.id,
    name: result.organization.name,
    ownerKey: result.ownerKey.secret,
  };
}

/** Another key of an organization, made by its OWNER. */
export async function createKey(
  graphqlUrl: string,
  callerKey: string,
  organizationId: string,
  role: 'OWNER' | 'VIEWER' | 'INGEST',
): Promise<string> {
  const response = await gql(
    graphqlUrl,
    `mutation ($org: ID!, $role: Role!) {
      createApiKey(organizationId: $org, role: $role) {
        __typename ... on CreateApiKeySuccess { apiKey { secret } }
      }
    }`,
    { key: callerKey, variables: { org: organizationId, role } },
  );
  const secret = response.data?.createApiKey?.apiKey?.secret;
  if (!secret) throw new Error(`createApiKey failed: ${JSON.stringify(response)}`);
  return secret;
}

/** An ADMIN's quota override of one meter for an organization; answers its __typename. */
export async function overrideQuota(
  graphqlUrl: string,
  adminKey: string,
  input: { organizationId: string; meter: string; limit: string; mode: 'HARD' | 'SOFT' },
): Promise<string | undefined> {
  const response = await gql(
    graphqlUrl,
    'mutation ($input: QuotaOverrideInput!) { setQuotaOverride(input: $input) { __typename } }',
    { key: adminKey, variables: { input } },
  );
  return response.data?.setQuotaOverride.__typename;
}
