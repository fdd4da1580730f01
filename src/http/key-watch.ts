import type { Authenticator } from '../auth/bearer.ts';
import type { LiveEvents } from '../live/pubsub.ts';
import type { Logger } from '../logger.ts';

/**
 * Connections that authenticate once and then stay open (graphql-ws sockets, Server-Sent Events
 * subscriptions): what they were opened with, and how to end those of one key.
 */
export interface KeyBoundConnections {
  /** The keys of the open connections, each once. */
  keyIds(): string[];
  /** Ends the key's connections, saying the key was revoked. */
  endKey(keyId: string): void;
}

/** The shortest period between two checks of the open connections' keys (AUTH_KEY_CACHE_MS=0). */
const MIN_KEY_CHECK_MS = 100;

/**
 * Ends the connections of a revoked key: at once when the revocation event arrives, and in any
 * case within `everyMs`, as the keys of open connections are asked of the database again in one
 * query for all of them (not one per connection). A revocation whose live event never arrived
 * (Redis down) still ends them; a failed check keeps the connections and is tried again next
 * period. Answers the function that stops watching (and waits for a check under way).
 */
export function watchKeys(
  connections: readonly KeyBoundConnections[],
  deps: { live: LiveEvents; authenticate: Authenticator; everyMs: number; log: Logger },
): () => Promise<void> {
  const endKey = (keyId: string) => {
    for (const held of connections) held.endKey(keyId);
  };
  const stopListening = deps.live.listen('key:revoked', undefined, ({ keyId }) => endKey(keyId));
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const check = async () => {
    const keyIds = [...new Set(connections.flatMap((held) => held.keyIds()))];
    if (keyIds.length === 0) return;
    try {
      for (const keyId of await deps.authenticate.revokedAmong(keyIds)) endKey(keyId);
    } catch (error) {
      deps.log.warn({ err: error }, 'could not check the keys of open connections; trying again');
    }
  };
  const schedule = () => {
    timer = setTimeout(
      () => {
        running = check().finally(() => {
          if (!stopped) schedule();
        });
      },
      Math.max(deps.everyMs, MIN_KEY_CHECK_MS),
    );
    timer.unref();
  };
  schedule();
  return async () => {
    stopped = true;
    stopListening();
    clearTimeout(timer);
    await running;
  };
}
