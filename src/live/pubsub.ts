import { setMaxListeners } from 'node:events';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub } from 'graphql-yoga';
import { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import { type StreamOptions, streamFrom } from './stream.ts';
import type { BillingSubscriptionWire, MeterUsageWire, ThresholdAlertWire } from './wire.ts';

/**
 * The one typed map of live topics. Topics of an organization are published under its id, so a
 * subscriber only ever listens to its own organization's channel. Payloads are JSON-shaped (see
 * wire.ts). Published after the transaction that caused them commits.
 */
type LiveTopics = {
  'usage:updated': [organizationId: string, payload: MeterUsageWire];
  'threshold:crossed': [organizationId: string, payload: ThresholdAlertWire];
  'subscription:updated': [organizationId: string, payload: BillingSubscriptionWire];
  /** An invoice changed (created, finalized, paid...): subscribers read it afresh by id. */
  'invoice:updated': [organizationId: string, payload: { invoiceId: string }];
  /** An API key was revoked: every instance forgets it and closes its sockets. */
  'key:revoked': [payload: { keyId: string }];
};

type Payload<K extends keyof LiveTopics> = LiveTopics[K] extends [string, infer P]
  ? P
  : LiveTopics[K][0];

export interface LiveEvents {
  publish: ReturnType<typeof createPubSub<LiveTopics>>['publish'];
  /** A stream of one topic (of one organization, for organization topics). */
  stream<K extends keyof LiveTopics>(
    topic: K,
    id: string | undefined,
    options?: StreamOptions<Payload<K>>,
  ): AsyncIterableIterator<Payload<K>>;
  close(): Promise<void>;
}

/**
 * In-process by default; through Redis when REDIS_URL is set, so that an event caused on one
 * instance reaches subscribers on every other. Publishing goes through Yoga's typed pubsub;
 * subscribers listen on the same event target, under the same names ("topic:id").
 */
export function createLiveEvents(options: {
  redisUrl: string | undefined;
  log: Logger;
}): LiveEvents {
  let eventTarget: EventTarget;
  let close = async () => {};
  if (options.redisUrl) {
    const publishClient = new Redis(options.redisUrl, { maxRetriesPerRequest: 3 });
    const subscribeClient = new Redis(options.redisUrl);
    for (const client of [publishClient, subscribeClient]) {
      client.on('error', (error) => options.log.error({ err: error }, 'redis error'));
    }
    eventTarget = createRedisEventTarget<CustomEvent>({
      publishClient,
      subscribeClient,
    }) as unknown as EventTarget;
    close = async () => {
      await Promise.allSettled([publishClient.quit(), subscribeClient.quit()]);
    };
  } else {
    eventTarget = new EventTarget();
    // Every subscriber of a topic is one listener: many per organization is expected.
    setMaxListeners(0, eventTarget);
  }
  const pubsub = createPubSub<LiveTopics>({ eventTarget: eventTarget as never });
  return {
    publish: pubsub.publish,
    stream: (topic, id, streamOptions) =>
      streamFrom(eventTarget, id === undefined ? topic : `${topic}:${id}`, streamOptions),
    close,
  };
}
