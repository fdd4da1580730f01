/**
 * One subscriber's stream of a live topic: values are pushed by the event target's listener and
 * pulled by GraphQL. Optionally filtered, and throttled per key: at most one value per
 * `intervalMs` for each key, the first at once and the latest of the rest at the end of the
 * interval (leading and trailing edge), so the last change always arrives within one interval.
 *
 * It replaces a chain of async iterators (subscribe, filter, throttle) by one plain queue: with
 * thousands of subscribers each event is pushed thousands of times, and that chain's allocations
 * were most of the server's work.
 */
export interface StreamOptions<T> {
  accept?: (value: T) => boolean;
  throttle?: { intervalMs: number; keyOf: (value: T) => string };
}

export function streamFrom<T>(
  target: EventTarget,
  eventName: string,
  options: StreamOptions<T> = {},
): AsyncIterableIterator<T> {
  const ready: T[] = [];
  let waiting: ((result: IteratorResult<T>) => void) | null = null;
  let done = false;
  const pending = new Map<string, T>();
  const lastSent = new Map<string, number>();
  const timers = new Map<string, NodeJS.Timeout>();

  const deliver = (value: T) => {
    if (waiting) {
      const resolve = waiting;
      waiting = null;
      resolve({ value, done: false });
    } else {
      ready.push(value);
    }
  };
  const sendLatest = (key: string) => {
    timers.delete(key);
    const value = pending.get(key);
    if (value === undefined) return;
    pending.delete(key);
    lastSent.set(key, Date.now());
    deliver(value);
  };
  const listener = (event: Event) => {
    const value = (event as CustomEvent<T>).detail;
    if (done || (options.accept && !options.accept(value))) return;
    const throttle = options.throttle;
    if (!throttle) return deliver(value);
    const key = throttle.keyOf(value);
    pending.set(key, value);
    if (timers.has(key)) return;
    const wait = (lastSent.get(key) ?? 0) + throttle.intervalMs - Date.now();
    if (wait <= 0) sendLatest(key);
    else
      timers.set(
        key,
        setTimeout(() => sendLatest(key), wait),
      );
  };
  target.addEventListener(eventName, listener);

  const finish = (): Promise<IteratorResult<T>> => {
    if (!done) {
      done = true;
      target.removeEventListener(eventName, listener);
      for (const timer of timers.values()) clearTimeout(timer);
      waiting?.({ value: undefined, done: true });
      waiting = null;
    }
    return Promise.resolve({ value: undefined, done: true });
  };

  return {
    next() {
      const value = ready.shift();
      if (value !== undefined) return Promise.resolve({ value, done: false });
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => {
        waiting = resolve;
      });
    },
    return: finish,
    throw: (error) => finish().then(() => Promise.reject(error)),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
