/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type Aggregation =
  | 'COUNT'
  | 'LAST'
  | 'MAX'
  | 'SUM';

export type LimitMode =
  /** Usage is refused at the limit. */
  | 'HARD'
  /** Usage goes on past the limit and the excess is billed at the overage price. */
  | 'OVERAGE'
  /** Usage goes on past the limit; warnings only, no charge. */
  | 'SOFT';

export type QuotaStatus =
  | 'EXCEEDED'
  | 'OK'
  | 'WARNING';

export type Role =
  /** Platform operator: plans, organizations, overrides, every organization's data. */
  | 'ADMIN'
  /** A producer service: records usage and checks quota, nothing else. */
  | 'INGEST'
  /** An organization's billing owner: everything of its own organization, plan changes included. */
  | 'OWNER'
  /** Read-only dashboards and live banners of its own organization. */
  | 'VIEWER';

export type SubscriptionStatus =
  | 'ACTIVE'
  | 'CANCELED'
  | 'INCOMPLETE'
  | 'PAST_DUE'
  | 'PAUSED'
  | 'TRIALING'
  | 'UNPAID';

export type MeterBarFragment = { used: string, limit: string | null, pct: number | null, status: QuotaStatus, mode: LimitMode, blocked: boolean, projected: string, periodStart: string, periodEnd: string, meter: { key: string, name: string, unit: string, aggregation: Aggregation }, overageCost: { formatted: string } };

export type PlanSummaryFragment = { status: SubscriptionStatus, currentPeriodEnd: string, cancelAtPeriodEnd: boolean, plan: { key: string, name: string, basePrice: { formatted: string } }, pendingPlan: { key: string, name: string } | null };

export type DashboardQueryVariables = Exact<{ [key: string]: never; }>;


export type DashboardQuery = { viewer: { role: Role, organization: { id: string, name: string } | null }, subscription: { status: SubscriptionStatus, currentPeriodEnd: string, cancelAtPeriodEnd: boolean, plan: { key: string, name: string, basePrice: { formatted: string } }, pendingPlan: { key: string, name: string } | null } | null, usage: Array<{ used: string, limit: string | null, pct: number | null, status: QuotaStatus, mode: LimitMode, blocked: boolean, projected: string, periodStart: string, periodEnd: string, meter: { key: string, name: string, unit: string, aggregation: Aggregation }, overageCost: { formatted: string } }>, upcomingInvoice: { total: { formatted: string }, amountDue: { formatted: string } } | null, plans: Array<{ key: string, name: string, basePrice: { amount: string, formatted: string } }> };

export type ChangePlanMutationVariables = Exact<{
  planKey: string;
}>;


export type ChangePlanMutation = { changePlan:
    | { __typename: 'BillingProviderError', message: string, code: string | null }
    | { __typename: 'ChangePlanSuccess', subscription: { status: SubscriptionStatus, currentPeriodEnd: string, cancelAtPeriodEnd: boolean, plan: { key: string, name: string, basePrice: { formatted: string } }, pendingPlan: { key: string, name: string } | null } }
    | { __typename: 'NotFoundError', message: string }
    | { __typename: 'ValidationError', message: string, fieldErrors: Array<{ path: Array<string>, message: string }> }
   };

export type LiveUsageSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type LiveUsageSubscription = { usageUpdated: { used: string, limit: string | null, pct: number | null, status: QuotaStatus, mode: LimitMode, blocked: boolean, projected: string, periodStart: string, periodEnd: string, meter: { key: string, name: string, unit: string, aggregation: Aggregation }, overageCost: { formatted: string } } };

export type LiveAlertsSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type LiveAlertsSubscription = { thresholdCrossed: { id: string, threshold: number, pct: number, crossedAt: string, meter: { key: string, name: string } } };

export type LiveSubscriptionSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type LiveSubscriptionSubscription = { subscriptionUpdated: { status: SubscriptionStatus, currentPeriodEnd: string, cancelAtPeriodEnd: boolean, plan: { key: string, name: string, basePrice: { formatted: string } }, pendingPlan: { key: string, name: string } | null } };

export type UpcomingInvoiceQueryVariables = Exact<{ [key: string]: never; }>;


export type UpcomingInvoiceQuery = { upcomingInvoice: { total: { formatted: string }, amountDue: { formatted: string } } | null };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const MeterBarFragmentDoc = new TypedDocumentString(`
    fragment MeterBar on MeterUsage {
  meter {
    key
    name
    unit
    aggregation
  }
  used
  limit
  pct
  status
  mode
  blocked
  projected
  periodStart
  periodEnd
  overageCost {
    formatted
  }
}
    `, {"fragmentName":"MeterBar"}) as unknown as TypedDocumentString<MeterBarFragment, unknown>;
export const PlanSummaryFragmentDoc = new TypedDocumentString(`
    fragment PlanSummary on BillingSubscription {
  status
  plan {
    key
    name
    basePrice {
      formatted
    }
  }
  pendingPlan {
    key
    name
  }
  currentPeriodEnd
  cancelAtPeriodEnd
}
    `, {"fragmentName":"PlanSummary"}) as unknown as TypedDocumentString<PlanSummaryFragment, unknown>;
export const DashboardDocument = new TypedDocumentString(`
    query Dashboard {
  viewer {
    role
    organization {
      id
      name
    }
  }
  subscription {
    ...PlanSummary
  }
  usage {
    ...MeterBar
  }
  upcomingInvoice {
    total {
      formatted
    }
    amountDue {
      formatted
    }
  }
  plans {
    key
    name
    basePrice {
      amount
      formatted
    }
  }
}
    fragment MeterBar on MeterUsage {
  meter {
    key
    name
    unit
    aggregation
  }
  used
  limit
  pct
  status
  mode
  blocked
  projected
  periodStart
  periodEnd
  overageCost {
    formatted
  }
}
fragment PlanSummary on BillingSubscription {
  status
  plan {
    key
    name
    basePrice {
      formatted
    }
  }
  pendingPlan {
    key
    name
  }
  currentPeriodEnd
  cancelAtPeriodEnd
}`) as unknown as TypedDocumentString<DashboardQuery, DashboardQueryVariables>;
export const ChangePlanDocument = new TypedDocumentString(`
    mutation ChangePlan($planKey: String!) {
  changePlan(planKey: $planKey, timing: IMMEDIATELY) {
    __typename
    ... on ChangePlanSuccess {
      subscription {
        ...PlanSummary
      }
    }
    ... on ValidationError {
      message
      fieldErrors {
        path
        message
      }
    }
    ... on NotFoundError {
      message
    }
    ... on BillingProviderError {
      message
      code
    }
  }
}
    fragment PlanSummary on BillingSubscription {
  status
  plan {
    key
    name
    basePrice {
      formatted
    }
  }
  pendingPlan {
    key
    name
  }
  currentPeriodEnd
  cancelAtPeriodEnd
}`) as unknown as TypedDocumentString<ChangePlanMutation, ChangePlanMutationVariables>;
export const LiveUsageDocument = new TypedDocumentString(`
    subscription LiveUsage {
  usageUpdated {
    ...MeterBar
  }
}
    fragment MeterBar on MeterUsage {
  meter {
    key
    name
    unit
    aggregation
  }
  used
  limit
  pct
  status
  mode
  blocked
  projected
  periodStart
  periodEnd
  overageCost {
    formatted
  }
}`) as unknown as TypedDocumentString<LiveUsageSubscription, LiveUsageSubscriptionVariables>;
export const LiveAlertsDocument = new TypedDocumentString(`
    subscription LiveAlerts {
  thresholdCrossed {
    id
    meter {
      key
      name
    }
    threshold
    pct
    crossedAt
  }
}
    `) as unknown as TypedDocumentString<LiveAlertsSubscription, LiveAlertsSubscriptionVariables>;
export const LiveSubscriptionDocument = new TypedDocumentString(`
    subscription LiveSubscription {
  subscriptionUpdated {
    ...PlanSummary
  }
}
    fragment PlanSummary on BillingSubscription {
  status
  plan {
    key
    name
    basePrice {
      formatted
    }
  }
  pendingPlan {
    key
    name
  }
  currentPeriodEnd
  cancelAtPeriodEnd
}`) as unknown as TypedDocumentString<LiveSubscriptionSubscription, LiveSubscriptionSubscriptionVariables>;
export const UpcomingInvoiceDocument = new TypedDocumentString(`
    query UpcomingInvoice {
  upcomingInvoice {
    total {
      formatted
    }
    amountDue {
      formatted
    }
  }
}
    `) as unknown as TypedDocumentString<UpcomingInvoiceQuery, UpcomingInvoiceQueryVariables>;