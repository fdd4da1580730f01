import { sql } from 'drizzle-orm';
import type { Database } from '../../src/db/client.ts';
import { queryRows } from '../../src/db/raw.ts';
import { RECORD } from '../support/usage.ts';

/**
 * Producers as a real client behaves: each event has its own idempotency key and is sent until
 * the server acknowledges it (RecordUsageSuccess), retried with the same key after a connection
 * failure or a 5xx, however the server is doing. Bounded in events and in time.
 */
export interface ProducerRun {
  /** Keys the server acknowledged, with their quantity. */
  acknowledged: Map<string, number>;
  /** Events the server refused with a typed error (e.g. QuotaExceededError), by key. */
  refused: Map<string, string>;
  retries: number;
}

export async function produce(options: {
  urls: () => string[];
  key: string;
  producers: number;
  eventsEach: number;
  quantity: number;
  meter?: string;
  deadlineMs: number;
  /** Stop a producer at its first refusal (a HARD limit reached). */
  stopWhenRefused?: boolean;
}): Promise<ProducerRun> {
  const run: ProducerRun = { acknowledged: new Map(), refused: new Map(), retries: 0 };
  const deadline = Date.now() + options.deadlineMs;
  const prefix = `fault-${process.pid}-${Date.now()}`;
  await Promise.all(
    Array.from({ length: options.producers }, async (_, p) => {
      for (let i = 0; i < options.eventsEach; i++) {
        const idempotencyKey = `${prefix}-${p}-${i}`;
        const outcome = await sendUntilAnswered(options, run, p + i, idempotencyKey, deadline);
        if (outcome === 'refused' && options.stopWhenRefused) return;
      }
    }),
  );
  return run;
}

async function sendUntilAnswered(
  options: Parameters<typeof produce>[0],
  run: ProducerRun,
  turn: number,
  idempotencyKey: string,
  deadline: number,
): Promise<'accepted' | 'refused'> {
  for (let attempt = 0; ; attempt++) {
    if (Date.now() > deadline)
      throw new Error(`event ${idempotencyKey} unanswered at the deadline`);
    const urls = options.urls();
    const url = urls[(turn + attempt) % urls.length] as string;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          query: RECORD,
          variables: {
            input: {
              meter: options.meter ?? 'api_requests',
              quantity: String(options.quantity),
              idempotencyKey,
            },
          },
        }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await response.json()) as { data?: { recordUsage?: { __typename: string } } };
      const typename = body.data?.recordUsage?.__typename;
      if (typename === 'RecordUsageSuccess') {
        run.acknowledged.set(idempotencyKey, options.quantity);
        return 'accepted';
      }
      if (typename) {
        run.refused.set(idempotencyKey, typename);
        return 'refused';
      }
    } catch {
      // The server is down, or died mid-request: the same key again, as a client would.
    }
    run.retries++;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** What the database holds of the run's keys: how many rows per key, and the stored total. */
export async function storedEvents(db: Database, organizationId: string) {
  const rows = await queryRows<{ key: string; n: number }>(
    db,
    sql`select idempotency_key as key, count(*)::int as n from usage_events
        where organization_id = ${organizationId} group by idempotency_key`,
  );
  const [total] = await queryRows<{ value: string }>(
    db,
    sql`select coalesce(sum(value), 0)::text as value from usage_totals
        where organization_id = ${organizationId} and meter_key = 'api_requests'`,
  );
  return { byKey: new Map(rows.map((r) => [r.key, r.n])), total: Number(total?.value ?? 0) };
}

/** Acknowledged events missing from the database, and keys stored more than once. */
export function exactlyOnce(run: ProducerRun, stored: Map<string, number>) {
  const lost = [...run.acknowledged.keys()].filter((key) => !stored.has(key));
  const duplicated = [...stored].filter(([, n]) => n > 1).map(([key]) => key);
  return { lost, duplicated };
}
