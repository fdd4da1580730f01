/* eslint-disable */
import * as types from './graphql';



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
    "fragment MeterBar on MeterUsage {\n  meter {\n    key\n    name\n    unit\n    aggregation\n  }\n  used\n  limit\n  pct\n  status\n  mode\n  blocked\n  projected\n  periodStart\n  periodEnd\n  overageCost {\n    formatted\n  }\n}\n\nfragment PlanSummary on BillingSubscription {\n  status\n  plan {\n    key\n    name\n    basePrice {\n      formatted\n    }\n  }\n  pendingPlan {\n    key\n    name\n  }\n  currentPeriodEnd\n  cancelAtPeriodEnd\n}\n\nquery Dashboard {\n  viewer {\n    role\n    organization {\n      id\n      name\n    }\n  }\n  subscription {\n    ...PlanSummary\n  }\n  usage {\n    ...MeterBar\n  }\n  upcomingInvoice {\n    total {\n      formatted\n    }\n    amountDue {\n      formatted\n    }\n  }\n  plans {\n    key\n    name\n    basePrice {\n      amount\n      formatted\n    }\n  }\n}\n\nmutation ChangePlan($planKey: String!) {\n  changePlan(planKey: $planKey, timing: IMMEDIATELY) {\n    __typename\n    ... on ChangePlanSuccess {\n      subscription {\n        ...PlanSummary\n      }\n    }\n    ... on ValidationError {\n      message\n      fieldErrors {\n        path\n        message\n      }\n    }\n    ... on NotFoundError {\n      message\n    }\n    ... on BillingProviderError {\n      message\n      code\n    }\n  }\n}\n\nsubscription LiveUsage {\n  usageUpdated {\n    ...MeterBar\n  }\n}\n\nsubscription LiveAlerts {\n  thresholdCrossed {\n    id\n    meter {\n      key\n      name\n    }\n    threshold\n    pct\n    crossedAt\n  }\n}\n\nsubscription LiveSubscription {\n  subscriptionUpdated {\n    ...PlanSummary\n  }\n}\n\nquery UpcomingInvoice {\n  upcomingInvoice {\n    total {\n      formatted\n    }\n    amountDue {\n      formatted\n    }\n  }\n}": typeof types.MeterBarFragmentDoc,
};
const documents: Documents = {
    "fragment MeterBar on MeterUsage {\n  meter {\n    key\n    name\n    unit\n    aggregation\n  }\n  used\n  limit\n  pct\n  status\n  mode\n  blocked\n  projected\n  periodStart\n  periodEnd\n  overageCost {\n    formatted\n  }\n}\n\nfragment PlanSummary on BillingSubscription {\n  status\n  plan {\n    key\n    name\n    basePrice {\n      formatted\n    }\n  }\n  pendingPlan {\n    key\n    name\n  }\n  currentPeriodEnd\n  cancelAtPeriodEnd\n}\n\nquery Dashboard {\n  viewer {\n    role\n    organization {\n      id\n      name\n    }\n  }\n  subscription {\n    ...PlanSummary\n  }\n  usage {\n    ...MeterBar\n  }\n  upcomingInvoice {\n    total {\n      formatted\n    }\n    amountDue {\n      formatted\n    }\n  }\n  plans {\n    key\n    name\n    basePrice {\n      amount\n      formatted\n    }\n  }\n}\n\nmutation ChangePlan($planKey: String!) {\n  changePlan(planKey: $planKey, timing: IMMEDIATELY) {\n    __typename\n    ... on ChangePlanSuccess {\n      subscription {\n        ...PlanSummary\n      }\n    }\n    ... on ValidationError {\n      message\n      fieldErrors {\n        path\n        message\n      }\n    }\n    ... on NotFoundError {\n      message\n    }\n    ... on BillingProviderError {\n      message\n      code\n    }\n  }\n}\n\nsubscription LiveUsage {\n  usageUpdated {\n    ...MeterBar\n  }\n}\n\nsubscription LiveAlerts {\n  thresholdCrossed {\n    id\n    meter {\n      key\n      name\n    }\n    threshold\n    pct\n    crossedAt\n  }\n}\n\nsubscription LiveSubscription {\n  subscriptionUpdated {\n    ...PlanSummary\n  }\n}\n\nquery UpcomingInvoice {\n  upcomingInvoice {\n    total {\n      formatted\n    }\n    amountDue {\n      formatted\n    }\n  }\n}": types.MeterBarFragmentDoc,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment MeterBar on MeterUsage {\n  meter {\n    key\n    name\n    unit\n    aggregation\n  }\n  used\n  limit\n  pct\n  status\n  mode\n  blocked\n  projected\n  periodStart\n  periodEnd\n  overageCost {\n    formatted\n  }\n}\n\nfragment PlanSummary on BillingSubscription {\n  status\n  plan {\n    key\n    name\n    basePrice {\n      formatted\n    }\n  }\n  pendingPlan {\n    key\n    name\n  }\n  currentPeriodEnd\n  cancelAtPeriodEnd\n}\n\nquery Dashboard {\n  viewer {\n    role\n    organization {\n      id\n      name\n    }\n  }\n  subscription {\n    ...PlanSummary\n  }\n  usage {\n    ...MeterBar\n  }\n  upcomingInvoice {\n    total {\n      formatted\n    }\n    amountDue {\n      formatted\n    }\n  }\n  plans {\n    key\n    name\n    basePrice {\n      amount\n      formatted\n    }\n  }\n}\n\nmutation ChangePlan($planKey: String!) {\n  changePlan(planKey: $planKey, timing: IMMEDIATELY) {\n    __typename\n    ... on ChangePlanSuccess {\n      subscription {\n        ...PlanSummary\n      }\n    }\n    ... on ValidationError {\n      message\n      fieldErrors {\n        path\n        message\n      }\n    }\n    ... on NotFoundError {\n      message\n    }\n    ... on BillingProviderError {\n      message\n      code\n    }\n  }\n}\n\nsubscription LiveUsage {\n  usageUpdated {\n    ...MeterBar\n  }\n}\n\nsubscription LiveAlerts {\n  thresholdCrossed {\n    id\n    meter {\n      key\n      name\n    }\n    threshold\n    pct\n    crossedAt\n  }\n}\n\nsubscription LiveSubscription {\n  subscriptionUpdated {\n    ...PlanSummary\n  }\n}\n\nquery UpcomingInvoice {\n  upcomingInvoice {\n    total {\n      formatted\n    }\n    amountDue {\n      formatted\n    }\n  }\n}"): typeof import('./graphql').MeterBarFragmentDoc;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
