import type { WebhookDeliveryRow } from '../db/schema.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  type EndpointView,
  listWebhookEndpoints,
  webhookUrlInput,
} from '../resolvers/alerts/webhook-endpoints.ts';
import { parseInput } from '../validation.ts';
import { builder } from './builder.ts';

const DeliveryStatusEnum = builder.enumType('DeliveryStatus', {
  values: ['PENDING', 'SUCCEEDED', 'FAILED'] as const,
});

const WebhookDeliveryType = builder.objectRef<WebhookDeliveryRow>('WebhookDelivery').implement({
  description: 'A delivery of an alert to a webhook endpoint of the organization.',
  fields: (t) => ({
    id: t.exposeID('id'),
    event: t.exposeString('event', { description: 'e.g. threshold.crossed' }),
    status: t.field({ type: DeliveryStatusEnum, resolve: (d) => d.status }),
    attempts: t.exposeInt('attempts'),
    lastAttemptAt: t.field({ type: 'DateTime', nullable: true, resolve: (d) => d.lastAttemptAt }),
    responseStatus: t.exposeInt('responseStatus', { nullable: true }),
    createdAt: t.field({ type: 'DateTime', resolve: (d) => d.createdAt }),
  }),
});

const WebhookEndpointType = builder.objectRef<EndpointView>('WebhookEndpoint').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    url: t.exposeString('url'),
    secret: t.exposeString('secret', {
      nullable: true,
      description: 'The signing secret, shown once when the endpoint is created; null afterwards.',
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (e) => e.createdAt }),
    deliveries: t.field({
      type: [WebhookDeliveryType],
      description: 'The most recent deliveries, newest first (at most 100).',
      args: { first: t.arg.int({ defaultValue: 20 }) },
      resolve: async (endpoint, args, ctx) => {
        const first = args.first ?? 20;
        if (first < 1 || first > 100)
          throw ValidationError.forField(['first'], 'must be between 1 and 100');
        return (await ctx.loaders.deliveriesByEndpointId.load(endpoint.id)).slice(0, first);
      },
    }),
  }),
});

const WebhookEndpointSuccess = builder
  .objectRef<{ endpoint: EndpointView }>('WebhookEndpointSuccess')
  .implement({
    fields: (t) => ({
      endpoint: t.field({ type: WebhookEndpointType, resolve: (r) => r.endpoint }),
    }),
  });

builder.queryField('webhookEndpoints', (t) =>
  t.field({
    type: [WebhookEndpointType],
    description: "OWNER: the organization's endpoints; ADMIN: every organization's.",
    authScopes: { $any: { admin: true, member: 'manageWebhooks' } },
    resolve: (_root, _args, ctx) =>
      listWebhookEndpoints(ctx, ctx.principal?.organizationId ?? null),
  }),
);

builder.mutationFields((t) => ({
  createWebhookEndpoint: t.field({
    type: WebhookEndpointSuccess,
    description:
      'OWNER: an https (or, in development, http://localhost) URL that receives signed alert deliveries.',
    authScopes: { member: 'manageWebhooks' },
    errors: {
      types: [ValidationError],
      directResult: true,
      union: { name: 'CreateWebhookEndpointResult' },
    },
    args: { url: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const { url } = parseInput(webhookUrlInput(ctx.config.server.env !== 'production'), args);
      return {
        endpoint: await createWebhookEndpoint(ctx, ctx.principal?.organizationId ?? '', url),
      };
    },
  }),
  deleteWebhookEndpoint: t.field({
    type: WebhookEndpointSuccess,
    authScopes: { member: 'manageWebhooks' },
    errors: {
      types: [NotFoundError],
      directResult: true,
      union: { name: 'DeleteWebhookEndpointResult' },
    },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => ({
      endpoint: await deleteWebhookEndpoint(
        ctx,
        ctx.principal?.organizationId ?? '',
        String(args.id),
      ),
    }),
  }),
}));
