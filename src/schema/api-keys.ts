import type { role } from '../db/schema.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import {
  createApiKey,
  createApiKeyInput,
  type IssuedApiKey,
  revokeApiKey,
} from '../resolvers/organizations/api-key-issuing.ts';
import { parseInput } from '../validation.ts';
import { builder } from './builder.ts';

export const RoleEnum = builder.enumType('Role', {
  values: {
    ADMIN: {
      description: "Platform operator: plans, organizations, overrides, every organization's data.",
    },
    OWNER: {
      description:
        "An organization's billing owner: everything of its own organization, plan changes included.",
    },
    VIEWER: { description: 'Read-only dashboards and live banners of its own organization.' },
    INGEST: { description: 'A producer service: records usage and checks quota, nothing else.' },
  } satisfies Record<(typeof role.enumValues)[number], unknown>,
});

export const ApiKeyType = builder.objectRef<IssuedApiKey>('ApiKey').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    role: t.field({ type: RoleEnum, resolve: (key) => key.role }),
    secret: t.exposeString('secret', {
      nullable: true,
      description: 'The secret, shown once when the key is created; null afterwards.',
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (key) => key.createdAt }),
  }),
});

const CreateApiKeySuccess = builder
  .objectRef<{ apiKey: IssuedApiKey }>('CreateApiKeySuccess')
  .implement({
    fields: (t) => ({ apiKey: t.field({ type: ApiKeyType, resolve: (r) => r.apiKey }) }),
  });

builder.mutationField('createApiKey', (t) =>
  t.field({
    type: CreateApiKeySuccess,
    description: 'ADMIN, or OWNER for its own organization.',
    authScopes: (_root, args) => ({
      $any: {
        admin: true,
        memberOf: { policy: 'manageKeys', organizationId: String(args.organizationId) },
      },
    }),
    errors: {
      types: [NotFoundError, ValidationError],
      directResult: true,
      union: { name: 'CreateApiKeyResult' },
    },
    args: {
      organizationId: t.arg.id({ required: true }),
      role: t.arg({ type: RoleEnum, required: true }),
    },
    resolve: async (_root, args, ctx) => ({
      apiKey: await createApiKey(
        ctx,
        parseInput(createApiKeyInput, {
          organizationId: String(args.organizationId),
          role: args.role,
        }),
      ),
    }),
  }),
);

builder.mutationField('revokeApiKey', (t) =>
  t.field({
    type: CreateApiKeySuccess,
    description:
      "ADMIN, or OWNER for its own organization's keys. The key stops working and its open sockets are closed.",
    authScopes: { $any: { admin: true, member: 'manageKeys' } },
    errors: { types: [NotFoundError], directResult: true, union: { name: 'RevokeApiKeyResult' } },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => ({ apiKey: await revokeApiKey(ctx, String(args.id)) }),
  }),
);
