import type { OrganizationRow } from '../db/schema.ts';
import { ValidationError } from '../errors.ts';
import { pageArgsSchema } from '../resolvers/common/pagination.ts';
import {
  createOrganization,
  createOrganizationInput,
  findOrganization,
  listOrganizations,
} from '../resolvers/organizations/organization-signup.ts';
import { findSubscription } from '../resolvers/subscriptions/subscription-start.ts';
import { parseInput } from '../validation.ts';
import { ApiKeyType } from './api-keys.ts';
import { builder } from './builder.ts';
import { BillingIntervalEnum } from './catalog.ts';
import { connectionType } from './connections.ts';
import { BillingSubscriptionType } from './subscriptions.ts';

export const OrganizationType = builder.objectRef<OrganizationRow>('Organization').implement({
  // Defence in depth: whatever path leads here, only its own keys and ADMIN see an organization.
  runScopesOnType: true,
  authScopes: (organization) => ({
    $any: {
      admin: true,
      memberOf: { policy: 'viewOrganization', organizationId: organization.id },
    },
  }),
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    billingEmail: t.exposeString('billingEmail', {
      nullable: true,
      authScopes: { $any: { admin: true, member: 'readBilling' } },
    }),
    subscription: t.field({
      type: BillingSubscriptionType,
      nullable: true,
      authScopes: { $any: { admin: true, member: 'readBilling' } },
      resolve: (organization, _args, ctx) => findSubscription(ctx, organization.id),
    }),
  }),
});

const OrganizationConnection = connectionType('Organization', OrganizationType);

const CreateOrganizationInput = builder.inputType('CreateOrganizationInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    billingEmail: t.string(),
    planKey: t.string({
      description:
        'Starts an ACTIVE subscription on this plan at once, its period ending on the next 1st (yearly: the 1st twelve months after this month).',
    }),
    interval: t.field({
      type: BillingIntervalEnum,
      description: "Defaults to the plan's default interval.",
    }),
  }),
});

const CreateOrganizationSuccess = builder
  .objectRef<Awaited<ReturnType<typeof createOrganization>>>('CreateOrganizationSuccess')
  .implement({
    fields: (t) => ({
      organization: t.field({ type: OrganizationType, resolve: (r) => r.organization }),
      ownerKey: t.field({ type: ApiKeyType, resolve: (r) => r.ownerKey }),
    }),
  });

builder.queryFields((t) => ({
  organization: t.field({
    type: OrganizationType,
    nullable: true,
    description: 'ADMIN only.',
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => findOrganization(ctx, String(args.id)),
  }),
  organizations: t.field({
    type: OrganizationConnection,
    description: 'ADMIN only. Oldest first.',
    authScopes: { admin: true },
    args: {
      first: t.arg.int({ defaultValue: 20 }),
      after: t.arg.string(),
    },
    resolve: (_root, args, ctx) => listOrganizations(ctx, parseInput(pageArgsSchema, args)),
  }),
}));

builder.mutationField('createOrganization', (t) =>
  t.field({
    type: CreateOrganizationSuccess,
    description: 'ADMIN only.',
    authScopes: { admin: true },
    errors: {
      types: [ValidationError],
      directResult: true,
      union: { name: 'CreateOrganizationResult' },
    },
    args: { input: t.arg({ type: CreateOrganizationInput, required: true }) },
    resolve: (_root, args, ctx) =>
      createOrganization(ctx, parseInput(createOrganizationInput, args.input, ['input'])),
  }),
);
