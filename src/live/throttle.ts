import { Repeater } from 'graphql-yoga';

/**
 * Passes on at most one value per `intervalMs` for each key, the first at once and the latest
 * of the rest at the end of the interval (leading and trailing edge): a subscriber is never
 * flooded, and the last value always arrives within one interval of the last change.
 */
export function latestPerInterval<T>(
  source: AsyncIterable<T>,
  intervalMs: number,
  keyOf: (value: T) => string,
): AsyncIterable<T> {
  return new Repeater<T>(async (push, stop) => {
    const pending = new Map<string, T>();
    const lastSent = new Map<string, number>();
    const timers = new Map<string, NodeJS.Timeout>();
    const iterator = source[Symbol.asyncIterator]();

    const send = (key: string) => {
      timers.delete(key);
      const value = pending.get(key);
      if (value === undefined) return;
      pending.delete(key);
      lastSent.set(key, Date.now());
      void push(value);
    };

    stop.then(() => {
      for (const timer of timers.values()) clearTimeout(timer);
      void iterator.return?.();
    });

    for (;;) {
      const next = await Promise.race([iterator.next(), stop.then(() => null)]);
      if (next === null || next.done) break;
      const key = keyOf(next.value);
      pending.set(key, next.value);
      if (timers.has(key)) continue;
      const wait = (lastSent.get(key) ?? 0) + intervalMs - Date.now();
      if (wait <= 0) send(key);
      else
        timers.set(
          key,
          setTimeout(() => send(key), wait),
        );
    }
    // Deliver what is still pending before ending.
    for (const key of [...timers.keys()]) {
      clearTimeout(timers.get(key));
      send(key);
    }
    stop();
  });
}
