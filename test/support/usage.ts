import { gql } from './graphql.ts';

export const RECORD = `mutation ($input: RecordUsageInput!) {
  recordUsage(input: $input) {
    __typename
    ... on RecordUsageSuccess {
      duplicate
      event { id meter { key } quantity idempotencyKey occurredAt receivedAt metadata }
      usage { used limit pct status mode blocked remaining overage overageCost { amount formatted } }
    }
    ... on QuotaExceededError { message meter { key } limit used requested resetsAt }
    ... on ValidationError { message fieldErrors { path message } }
  }
}`;

export const RECORD_BATCH = `mutation ($input: [RecordUsageInput!]!) {
  recordUsageBatch(input: $input) {
    __typename
    ... on RecordUsageBatchSuccess {
      accepted duplicates
      rejected { index error { __typename message ... on QuotaExceededError { limit used requested } ... on ValidationError { fieldErrors { path message } } } }
      usage { meter { key } used }
    }
    ... on ValidationError { message fieldErrors { path message } }
  }
}`;

const USAGE = `query ($meter: String) {
  usage(meter: $meter) {
    meter { key } used limit pct remaining status mode blocked projected onTrack overage
    overageCost { amount currency formatted } periodStart periodEnd updatedAt
  }
}`;

export interface UsageEventVariables {
  meter: string;
  quantity: string;
  idempotencyKey: string;
  occurredAt?: string;
  metadata?: unknown;
}

export async function record(graphqlUrl: string, key: string, input: UsageEventVariables) {
  const response = await gql(graphqlUrl, RECORD, { key, variables: { input } });
  if (response.errors) throw new Error(`recordUsage failed: ${JSON.stringify(response.errors)}`);
  return response.data?.recordUsage;
}

export async function recordBatch(graphqlUrl: string, key: string, input: UsageEventVariables[]) {
  const response = await gql(graphqlUrl, RECORD_BATCH, { key, variables: { input } });
  if (response.errors)
    throw new Error(`recordUsageBatch failed: ${JSON.stringify(response.errors)}`);
  return response.data?.recordUsageBatch;
}

export async function usageOf(graphqlUrl: string, key: string, meter: string) {
  const response = await gql(graphqlUrl, USAGE, { key, variables: { meter } });
  if (response.errors) throw new Error(`usage failed: ${JSON.stringify(response.errors)}`);
  return response.data?.usage[0];
}

/** A clock the test moves; the server reads it for every request. */
export function testClock(start: string) {
  let current = new Date(start);
  return {
    now: () => new Date(current),
    set(at: string) {
      current = new Date(at);
    },
  };
}

let sequence = 0;
/** An idempotency key no other test uses. */
export function uniqueKey(label = 'k'): string {
  return `${label}-${process.pid}-${Date.now()}-${++sequence}`;
}
