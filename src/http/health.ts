import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { queryRows } from '../db/raw.ts';
import type { LiveEvents } from '../live/pubsub.ts';
import type { Logger } from '../logger.ts';
import { sendJson } from './respond.ts';

/** How many migrations this build ships: /readyz wants all of them applied. */
const shippedMigrations: number = (
  JSON.parse(
    readFileSync(
      fileURLToPath(new URL('../../drizzle/meta/_journal.json', import.meta.url)),
      'utf8',
    ),
  ) as { entries: unknown[] }
).entries.length;

/** Liveness: the process answers. */
export function healthz(_req: IncomingMessage, res: ServerResponse): void {
  sendJson(res, 200, { status: 'ok' });
}

/**
 * Readiness: the database answers and carries every migration of this build. Live fan-out
 * (Redis) is reported but does not make the instance unready: billing goes on without it, and
 * taking every instance out of the load balancer during a Redis outage would stop billing too.
 * It answers 200 with `status: "degraded"` and `live.status: "down"` then.
 */
export function readyz(db: Database, log: Logger, live: Pick<LiveEvents, 'health'>) {
  return async (_req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const [row] = await queryRows<{ applied: number }>(
        db,
        sql`select count(*)::int as applied from drizzle.__drizzle_migrations`,
      );
      const applied = Number(row?.applied ?? 0);
      if (applied < shippedMigrations) {
        sendJson(res, 503, { status: 'migrating', applied, expected: shippedMigrations });
        return;
      }
      const fanOut = live.health();
      sendJson(res, 200, { status: fanOut.status === 'up' ? 'ready' : 'degraded', live: fanOut });
    } catch (error) {
      log.warn({ err: error }, 'readiness check failed');
      sendJson(res, 503, { status: 'database unavailable' });
    }
  };
}
