/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type QuotaStatus =
  | 'EXCEEDED'
  | 'OK'
  | 'WARNING';

export type RecordUsageInput = {
  /** Unique per organization, compared exactly as sent; a retry with the same key counts once. */
  idempotencyKey: string;
  metadata?: unknown;
  meter: string;
  /** Defaults to the time of receipt. */
  occurredAt?: string | null | undefined;
  quantity: string;
};

export type RecordUsageMutationVariables = Exact<{
  input: RecordUsageInput;
}>;


export type RecordUsageMutation = { recordUsage:
    | { __typename: 'QuotaExceededError', message: string, limit: string, used: string }
    | { __typename: 'RecordUsageSuccess', duplicate: boolean, usage: { used: string, limit: string | null, pct: number | null, status: QuotaStatus, meter: { key: string } } }
    | { __typename: 'ValidationError', message: string, fieldErrors: Array<{ path: Array<string>, message: string }> }
   };

export type ThresholdAlertsSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type ThresholdAlertsSubscription = { thresholdCrossed: { threshold: number, used: string, limit: string, pct: number, crossedAt: string, meter: { key: string } } };

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

export const RecordUsageDocument = new TypedDocumentString(`
    mutation RecordUsage($input: RecordUsageInput!) {
  recordUsage(input: $input) {
    __typename
    ... on RecordUsageSuccess {
      duplicate
      usage {
        meter {
          key
        }
        used
        limit
        pct
        status
      }
    }
    ... on QuotaExceededError {
      message
      limit
      used
    }
    ... on ValidationError {
      message
      fieldErrors {
        path
        message
      }
    }
  }
}
    `) as unknown as TypedDocumentString<RecordUsageMutation, RecordUsageMutationVariables>;
export const ThresholdAlertsDocument = new TypedDocumentString(`
    subscription ThresholdAlerts {
  thresholdCrossed {
    meter {
      key
    }
    threshold
    used
    limit
    pct
    crossedAt
  }
}
    `) as unknown as TypedDocumentString<ThresholdAlertsSubscription, ThresholdAlertsSubscriptionVariables>;