import { setMaxListeners } from 'node:events';
import { createPubSub } from 'graphql-yoga';
import type { Logger } from '../logger.ts';
import type { LiveHealth } from './fan-out-health.ts';
import { createRedisFanOut, type RedisFanOut } from './redis-fan-out.ts';
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
  /** An organization's plan, status or overrides changed: subscribers read its entitlements. */
  'entitlements:updated': [organizationId: string, payload: { organizationId: string }];
  /** An invoice changed (created, finalized, paid...): subscribers read it afresh by id. */
  'invoice:updated': [organizationId: string, payload: { invoiceId: string }];
  /**
   * An API key was revoked: every instance forgets it and closes its sockets. Heard on the
   * publishing instance at once (synchronously), and again through Redis: handlers are idempotent.
   */
  'key:revoked': [payload: { keyId: string }];
  /**
   * An organization's limits changed (an override, a plan): every instance reads its terms
   * again, so a lowered HARD limit holds everywhere at once (the cache's TTL when Redis is down).
   */
  'terms:changed': [payload: { organizationId: string }];
  /**
   * An organization's entitlements changed: every instance forgets them and reads them again
   * at the next check (heard at once here, through Redis elsewhere).
   */
  'entitlements:changed': [payload: { organizationId: string }];
};

/** Topics this instance hears the moment it publishes them, whatever Redis does. */
const HEARD_AT_ONCE: ReadonlySet<string> = new Set([
  'key:revoked',
  'terms:changed',
  'entitlements:changed',
]);

type Payload<K extends keyof LiveTopics> = LiveTopics[K] extends [string, infer P]
  ? P
  : LiveTopics[K][0];

export interface LiveEvents {
  /** Never throws nor rejects: a live event that cannot be fanned out is counted and dropped. */
  publish: ReturnType<typeof createPubSub<LiveTopics>>['publish'];
  /** A stream of one topic (of one organization, for organization topics). */
  stream<K extends keyof LiveTopics>(
    topic: K,
    id: string | undefined,
    options?: StreamOptions<Payload<K>>,
  ): AsyncIterableIterator<Payload<K>>;
  /** Calls `handler` synchronously for each event of a topic; answers the function that stops it. */
  listen<K extends keyof LiveTopics>(
    topic: K,
    id: string | undefined,
    handler: (payload: Payload<K>) => void,
  ): () => void;
  /** Whether events reach the other instances (GET /readyz). */
  health(): LiveHealth;
  close(): Promise<void>;
}

/**
 * In-process by default; through Redis when REDIS_URL is set, so that an event caused on one
 * instance reaches subscribers on every other. Publishing goes through Yoga's typed pubsub;
 * subscribers listen on the same event target, under the same names ("topic:id"). While Redis
 * is unreachable, events still reach this instance's own subscribers (see RedisFanOut.send).
 */
export function createLiveEvents(options: {
  redisUrl: string | undefined;
  log: Logger;
}): LiveEvents {
  const local = new EventTarget();
  // Every subscriber of a topic is one listener: many per organization is expected.
  setMaxListeners(0, local);
  const fanOut = options.redisUrl ? createRedisFanOut(options.redisUrl, options.log) : null;
  const target = fanOut ? acrossInstances(local, fanOut) : local;
  const pubsub = createPubSub<LiveTopics>({ eventTarget: target as never });
  const nameOf = (topic: string, id: string | undefined) =>
    id === undefined ? topic : `${topic}:${id}`;
  return {
    publish: pubsub.publish,
    stream: (topic, id, streamOptions) => streamFrom(target, nameOf(topic, id), streamOptions),
    listen(topic, id, handler) {
      const listener = (event: Event) => {
        try {
          handler((event as CustomEvent).detail);
        } catch (error) {
          options.log.error({ err: error, topic }, 'live event handler failed');
        }
      };
      target.addEventListener(nameOf(topic, id), listener);
      return () => target.removeEventListener(nameOf(topic, id), listener);
    },
    health: () => fanOut?.health() ?? { fanOut: 'in-process', status: 'up', failedPublishes: 0 },
    close: async () => {
      await fanOut?.close();
    },
  };
}

/**
 * Listeners hear what Redis brings in and what this instance delivers to itself; a publish goes
 * to Redis, and is delivered here directly only when Redis would not bring it back (or for a
 * topic heard at once). While Redis is up every instance sees events in Redis' one order.
 */
function acrossInstances(local: EventTarget, fanOut: RedisFanOut): EventTarget {
  return {
    addEventListener(type: string, listener: EventListenerOrEventListenerObject | null) {
      local.addEventListener(type, listener);
      fanOut.target.addEventListener(type, listener);
    },
    removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null) {
      local.removeEventListener(type, listener);
      fanOut.target.removeEventListener(type, listener);
    },
    dispatchEvent(event: Event) {
      const { detail } = event as CustomEvent;
      const here = () => local.dispatchEvent(new CustomEvent(event.type, { detail }));
      const atOnce = HEARD_AT_ONCE.has(event.type);
      if (atOnce) here();
      fanOut.send(event.type, detail, atOnce ? () => {} : here);
      return true;
    },
  };
}
