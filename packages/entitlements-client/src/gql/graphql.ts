/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type EntitlementsUpdatedSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type EntitlementsUpdatedSubscription = { entitlementsUpdated: Array<{ feature: { key: string } }> };

export type UsageUpdatedSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type UsageUpdatedSubscription = { usageUpdated: { used: string, limit: string | null, remaining: string | null, meter: { key: string } } };

export type IssueEntitlementTokenMutationVariables = Exact<{
  deviceId?: string | null | undefined;
}>;


export type IssueEntitlementTokenMutation = { issueEntitlementToken:
    | { __typename: 'EntitlementTokenSuccess', token: { token: string } }
    | { __typename: 'FeatureNotEntitledError', message: string }
    | { __typename: 'ValidationError', message: string }
   };

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

export const EntitlementsUpdatedDocument = new TypedDocumentString(`
    subscription EntitlementsUpdated {
  entitlementsUpdated {
    feature {
      key
    }
  }
}
    `) as unknown as TypedDocumentString<EntitlementsUpdatedSubscription, EntitlementsUpdatedSubscriptionVariables>;
export const UsageUpdatedDocument = new TypedDocumentString(`
    subscription UsageUpdated {
  usageUpdated {
    meter {
      key
    }
    used
    limit
    remaining
  }
}
    `) as unknown as TypedDocumentString<UsageUpdatedSubscription, UsageUpdatedSubscriptionVariables>;
export const IssueEntitlementTokenDocument = new TypedDocumentString(`
    mutation IssueEntitlementToken($deviceId: String) {
  issueEntitlementToken(deviceId: $deviceId) {
    __typename
    ... on EntitlementTokenSuccess {
      token {
        token
      }
    }
    ... on Error {
      message
    }
  }
}
    `) as unknown as TypedDocumentString<IssueEntitlementTokenMutation, IssueEntitlementTokenMutationVariables>;