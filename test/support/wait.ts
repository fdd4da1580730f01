import { sleep } from './graphql.ts';

/**
 * Polls `probe` until it returns something other than undefined. A probe that throws is tried
 * again (a server may still be starting); the last error is reported if time runs out.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    let value: T | undefined;
    try {
      value = await probe();
    } catch (error) {
      last = error;
    }
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? ` (last: ${String(last)})` : ''}`);
    }
    await sleep(150);
  }
}
