import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub } from 'graphql-yoga';
import { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import type { BillingSubscriptionWire, MeterUsageWire, ThresholdAlertWire } from './wire.ts';

/**
 * The one typed map of live topics. Topics of an organization are published under its id, so a
 * subscriber only ever listens to its own organization's channel. Payloads are JSON-shaped (see
 * wire.ts). Published after the transaction that caused them commits.
 */
export type LiveTopics = {
  'usage:updated': [organizationId: string, payload: MeterUsageWire];
  'threshold:crossed': [organizationId: string, payload: ThresholdAlertWire];
  'subscription:updated': [organizationId: string, payload: BillingSubscriptionWire];
  /** An invoice as JSON; published by the invoicing work. */
  'invoice:updated': [organizationId: string, payload: Record<string, unknown>];
  /** An API key was revoked: every instance closes the key's sockets. */
  'key:revoked': [payload: { keyId: string }];
};

export type LivePubSub = ReturnType<typeof createPubSub<LiveTopics>>;

export interface LiveEvents {
  pubsub: LivePubSub;
  close(): Promise<void>;
}

/**
 * In-process by default; through Redis when REDIS_URL is set, so that an event caused on one
 * instance reaches subscribers on every other.
 */
export function createLiveEvents(options: {
  redisUrl: string | undefined;
  log: Logger;
}): LiveEvents {
  if (!options.redisUrl) return { pubsub: createPubSub<LiveTopics>(), close: async () => {} };
  const publishClient = new Redis(options.redisUrl, {
    lazyConnect: false,
    maxRetriesPerRequest: 3,
  });
  const subscribeClient = new Redis(options.redisUrl, { lazyConnect: false });
  for (const client of [publishClient, subscribeClient]) {
    client.on('error', (error) => options.log.error({ err: error }, 'redis error'));
  }
  const eventTarget = createRedisEventTarget<CustomEvent>({ publishClient, subscribeClient });
  return {
    pubsub: createPubSub<LiveTopics>({ eventTarget: eventTarget as never }),
    async close() {
      await Promise.allSettled([publishClient.quit(), subscribeClient.quit()]);
    },
  };
}
