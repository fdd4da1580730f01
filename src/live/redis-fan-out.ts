import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../logger.ts';
import { FanOutHealth, type LiveHealth } from './fan-out-health.ts';

/** Reconnect attempts back off to one a second, and never give up. */
const RECONNECT_MAX_DELAY_MS = 1_000;
/** A publish Redis does not answer in this time counts as failed (a half-open connection). */
const PUBLISH_TIMEOUT_MS = 2_000;
/** How long a shutdown waits for Redis to answer QUIT before it just closes the connection. */
const QUIT_TIMEOUT_MS = 1_000;

const reconnecting: RedisOptions = {
  retryStrategy: (attempt) => Math.min(attempt * 100, RECONNECT_MAX_DELAY_MS),
};

export interface RedisFanOut {
  /** Where the events Redis brings in are dispatched. */
  readonly target: EventTarget;
  /**
   * Hands an event to Redis for every instance (this one included). `deliverHere` is called
   * instead when this instance would not hear it back: live events are best effort across
   * instances, but subscribers of the instance that caused them still get them.
   */
  send(channel: string, payload: unknown, deliverHere: () => void): void;
  health(): LiveHealth;
  close(): Promise<void>;
}

/**
 * Live events through Redis, that never fail the caller: a publish is never queued while Redis
 * is away (nothing piles up, nothing rejects later unhandled); it is counted and the outage
 * logged once. Subscriptions wait for the connection and are made again on reconnect.
 */
export function createRedisFanOut(url: string, log: Logger): RedisFanOut {
  const publisher = new Redis(url, {
    ...reconnecting,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: PUBLISH_TIMEOUT_MS,
  });
  const subscriber = new Redis(url, { ...reconnecting, maxRetriesPerRequest: null });
  const connected = () => publisher.status === 'ready' && subscriber.status === 'ready';
  const health = new FanOutHealth(log, connected);
  for (const client of [publisher, subscriber]) {
    client.on('error', (error) => health.down(error));
    client.on('close', () => health.down(new Error('the connection to Redis closed')));
    client.on('ready', () => health.up());
  }
  const target = createRedisEventTarget<CustomEvent>({
    publishClient: publisher,
    subscribeClient: guardedSubscriptions(subscriber, log),
  }) as unknown as EventTarget;
  let closing = false;
  return {
    target,
    send(channel, payload, deliverHere) {
      const hearsBack = !closing && subscriber.status === 'ready';
      if (!hearsBack) deliverHere();
      if (closing) return;
      if (publisher.status !== 'ready') {
        health.publishFailed(new Error(`Redis is not connected (${publisher.status})`));
        return;
      }
      publisher.publish(channel, JSON.stringify(payload)).then(
        () => health.up(),
        (error: unknown) => {
          health.publishFailed(error);
          if (hearsBack) deliverHere();
        },
      );
    },
    health: () => health.snapshot(),
    async close() {
      closing = true;
      health.stop();
      await Promise.all([closeClient(publisher), closeClient(subscriber)]);
    },
  };
}

/**
 * The subscribing client as the event target uses it, with its SUBSCRIBE and UNSUBSCRIBE never
 * rejecting unhandled (they wait through an outage; only closing the client fails them).
 */
function guardedSubscriptions(client: Redis, log: Logger): Redis {
  const failed = (error: unknown) => {
    if (client.status !== 'end') log.warn({ err: error }, 'redis subscription change failed');
  };
  return {
    on: (event: string, listener: (channel: string, message: string) => void) =>
      client.on(event, listener),
    subscribe: (...channels: string[]) => client.subscribe(...channels).catch(failed),
    unsubscribe: (...channels: string[]) => client.unsubscribe(...channels).catch(failed),
  } as unknown as Redis;
}

/** QUIT when Redis answers (bounded), else just close: a dead Redis never holds shutdown. */
async function closeClient(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      client.quit().catch(() => {}),
      new Promise((resolve) => {
        timer = setTimeout(resolve, QUIT_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
  }
  if (client.status !== 'end') client.disconnect();
}
