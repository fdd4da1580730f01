/* eslint-disable */
import * as types from './graphql.ts';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "mutation RecordUsage($input: RecordUsageInput!) {\n  recordUsage(input: $input) {\n    __typename\n    ... on RecordUsageSuccess {\n      duplicate\n      usage {\n        meter {\n          key\n        }\n        used\n        limit\n        pct\n        status\n      }\n    }\n    ... on QuotaExceededError {\n      message\n      limit\n      used\n    }\n    ... on ValidationError {\n      message\n      fieldErrors {\n        path\n        message\n      }\n    }\n  }\n}\n\nsubscription ThresholdAlerts {\n  thresholdCrossed {\n    meter {\n      key\n    }\n    threshold\n    used\n    limit\n    pct\n    crossedAt\n  }\n}": typeof types.RecordUsageDocument,
};
const documents: Documents = {
    "mutation RecordUsage($input: RecordUsageInput!) {\n  recordUsage(input: $input) {\n    __typename\n    ... on RecordUsageSuccess {\n      duplicate\n      usage {\n        meter {\n          key\n        }\n        used\n        limit\n        pct\n        status\n      }\n    }\n    ... on QuotaExceededError {\n      message\n      limit\n      used\n    }\n    ... on ValidationError {\n      message\n      fieldErrors {\n        path\n        message\n      }\n    }\n  }\n}\n\nsubscription ThresholdAlerts {\n  thresholdCrossed {\n    meter {\n      key\n    }\n    threshold\n    used\n    limit\n    pct\n    crossedAt\n  }\n}": types.RecordUsageDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RecordUsage($input: RecordUsageInput!) {\n  recordUsage(input: $input) {\n    __typename\n    ... on RecordUsageSuccess {\n      duplicate\n      usage {\n        meter {\n          key\n        }\n        used\n        limit\n        pct\n        status\n      }\n    }\n    ... on QuotaExceededError {\n      message\n      limit\n      used\n    }\n    ... on ValidationError {\n      message\n      fieldErrors {\n        path\n        message\n      }\n    }\n  }\n}\n\nsubscription ThresholdAlerts {\n  thresholdCrossed {\n    meter {\n      key\n    }\n    threshold\n    used\n    limit\n    pct\n    crossedAt\n  }\n}"): typeof import('./graphql.ts').RecordUsageDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
