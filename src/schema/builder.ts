import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { allows, type Policy } from '../auth/policies.ts';
import type { Decimal } from '../billing/decimal.ts';
import type { RequestContext } from '../context.ts';
import { forbidden, unauthenticated } from './auth-errors.ts';

export const builder = new SchemaBuilder<{
  Context: RequestContext;
  DefaultFieldNullability: false;
  AuthScopes: {
    /** Any valid API key. */
    authenticated: boolean;
    /** The platform operator. */
    admin: boolean;
    /** A key of an organization the policy allows, acting on its own organization. */
    member: Policy;
    /** A key of this organization the policy allows. */
    memberOf: { policy: Policy; organizationId: string };
  };
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    /** Exact decimal text; parsed and range-checked by the domain, never as a float. */
    Decimal: { Input: string; Output: Decimal | string };
    JSON: { Input: unknown; Output: unknown };
    /** An integer amount in minor units, carried as a string of digits. */
    MinorUnits: { Input: bigint; Output: bigint };
  };
}>({
  // scope-auth first: it must decide before anything else runs.
  plugins: [ScopeAuthPlugin, ErrorsPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: ({ principal }) => ({
      authenticated: principal !== null,
      admin: principal?.role === 'ADMIN',
      member: (policy) => allows(principal, policy),
      memberOf: ({ policy, organizationId }) => allows(principal, policy, organizationId),
    }),
    unauthorizedError: (_parent, context, info) =>
      context.principal
        ? forbidden(context.principal.role, `${info.parentType.name}.${info.fieldName}`)
        : unauthenticated(),
  },
  errors: { defaultTypes: [] },
});

export type BuilderTypes =
  typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
