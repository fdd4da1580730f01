import type { RequestContext } from '../context.ts';
import type { OrganizationRow } from '../db/schema.ts';
import { BillingProviderError, NotFoundError, ValidationError } from '../errors.ts';
import {
  migratePlanSubscribers,
  type NotMigrated,
  type PlanMigrationPreview,
  type PlanMigrationRow,
  planMigrationInput,
  previewPlanMigration,
} from '../resolvers/subscriptions/plan-migration.ts';
import { parseInput } from '../validation.ts';
import { PlanChangeTimingEnum } from './billing.ts';
import { builder } from './builder.ts';
import { MoneyType } from './money-type.ts';
import { OrganizationType } from './organizations.ts';

// Moving a plan's subscribers from one version to another (ADMIN): a preview, then the move.

/** A subscriber's organization: a subscription references its organization, so it exists. */
async function subscriberOrganization(
  row: { organizationId: string },
  ctx: RequestContext,
): Promise<OrganizationRow> {
  return (await ctx.loaders.organizationById.load(row.organizationId)) as OrganizationRow;
}

const PlanMigrationRowType = builder.objectRef<PlanMigrationRow>('PlanMigrationRow').implement({
  fields: (t) => ({
    organization: t.field({
      type: OrganizationType,
      resolve: (row, _args, ctx) => subscriberOrganization(row, ctx),
    }),
    currentTotal: t.field({
      type: MoneyType,
      description: 'What that month cost on the version the organization has.',
      resolve: (row) => row.currentTotal,
    }),
    newTotal: t.field({
      type: MoneyType,
      description: 'What the same usage costs on the target version.',
      resolve: (row) => row.newTotal,
    }),
    delta: t.field({ type: MoneyType, resolve: (row) => row.delta }),
    warnings: t.exposeStringList('warnings', {
      description: 'e.g. a HARD limit of the target version that this usage exceeds.',
    }),
  }),
});

const PlanMigrationPreviewType = builder
  .objectRef<PlanMigrationPreview>('PlanMigrationPreview')
  .implement({
    fields: (t) => ({
      planKey: t.exposeString('planKey'),
      fromVersion: t.exposeInt('fromVersion'),
      toVersion: t.exposeInt('toVersion'),
      basedOnPeriod: t.exposeString('basedOnPeriod', {
        description: 'The month whose usage was priced, YYYY-MM.',
      }),
      organizations: t.exposeInt('organizations'),
      currentTotal: t.field({ type: MoneyType, resolve: (p) => p.currentTotal }),
      newTotal: t.field({ type: MoneyType, resolve: (p) => p.newTotal }),
      rows: t.field({ type: [PlanMigrationRowType], resolve: (p) => p.rows }),
    }),
  });

const NotMigratedType = builder.objectRef<NotMigrated>('NotMigratedSubscriber').implement({
  description: 'A subscriber a migration left on its version, and why.',
  fields: (t) => ({
    organization: t.field({
      type: OrganizationType,
      resolve: (row, _args, ctx) => subscriberOrganization(row, ctx),
    }),
    reason: t.exposeString('reason'),
  }),
});

const MigratePlanSubscribersSuccess = builder
  .objectRef<Awaited<ReturnType<typeof migratePlanSubscribers>>>('MigratePlanSubscribersSuccess')
  .implement({
    fields: (t) => ({
      migrated: t.exposeInt('migrated', {
        description:
          'How many subscriptions were moved (or scheduled to move at their period end).',
      }),
      notMigrated: t.field({
        type: [NotMigratedType],
        description:
          'Subscribers left where they were: another change pending, or a failure (e.g. Stripe).',
        resolve: (r) => r.notMigrated,
      }),
    }),
  });

builder.queryField('previewPlanMigration', (t) =>
  t.field({
    type: PlanMigrationPreviewType,
    description:
      'ADMIN only. The last complete month of every subscriber of fromVersion, priced on both versions (base price included); writes nothing.',
    authScopes: { admin: true },
    args: {
      planKey: t.arg.string({ required: true }),
      fromVersion: t.arg.int({ required: true }),
      toVersion: t.arg.int({ required: true }),
    },
    resolve: (_root, args, ctx) => previewPlanMigration(ctx, parseInput(planMigrationInput, args)),
  }),
);

builder.mutationField('migratePlanSubscribers', (t) =>
  t.field({
    type: MigratePlanSubscribersSuccess,
    description:
      'ADMIN only. Moves the subscribers of fromVersion to toVersion (each as changePlan would), in batches, exactly once.',
    authScopes: { admin: true },
    errors: {
      // BillingProviderError: with Stripe, the target version's price could not be made.
      types: [ValidationError, NotFoundError, BillingProviderError],
      directResult: true,
      union: { name: 'MigratePlanSubscribersResult' },
    },
    args: {
      planKey: t.arg.string({ required: true }),
      fromVersion: t.arg.int({ required: true }),
      toVersion: t.arg.int({ required: true }),
      timing: t.arg({ type: PlanChangeTimingEnum, defaultValue: 'PERIOD_END' }),
    },
    resolve: (_root, args, ctx) =>
      migratePlanSubscribers(ctx, {
        ...parseInput(planMigrationInput, args),
        timing: args.timing ?? 'PERIOD_END',
      }),
  }),
);
