import { and, eq, isNull, lt, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import type { Database } from '../../db/client.ts';
import { stripeEvents } from '../../db/schema.ts';

/**
 * Stripe's events, stored by id before anything is done with them: a redelivery finds its id
 * taken and is acknowledged without effect, and processing always starts from the store.
 */

/** Stores a verified event; false when its id was stored before (a redelivery). */
export async function storeStripeEvent(db: Database, event: Stripe.Event): Promise<boolean> {
  const object = event.data.object as { id?: unknown };
  const [stored] = await db
    .insert(stripeEvents)
    .values({
      id: event.id,
      type: event.type,
      objectId: typeof object.id === 'string' ? object.id : null,
      stripeCreatedAt: new Date(event.created * 1000),
      payload: event,
    })
    .onConflictDoNothing()
    .returning({ id: stripeEvents.id });
  return stored !== undefined;
}

/** Counts an attempt at an unprocessed event and answers it; null once it is processed. */
export async function claimStripeEvent(
  db: Database,
  eventId: string,
): Promise<Stripe.Event | null> {
  const [row] = await db
    .update(stripeEvents)
    .set({ attempts: sql`${stripeEvents.attempts} + 1` })
    .where(and(eq(stripeEvents.id, eventId), isNull(stripeEvents.processedAt)))
    .returning();
  return row ? (row.payload as Stripe.Event) : null;
}

export async function markStripeEventFailed(db: Database, eventId: string, error: Error) {
  await db
    .update(stripeEvents)
    .set({ lastError: error.message.slice(0, 500) })
    .where(eq(stripeEvents.id, eventId));
}

export async function markStripeEventProcessed(db: Database, eventId: string, at: Date) {
  await db
    .update(stripeEvents)
    .set({ processedAt: at, lastError: null })
    .where(eq(stripeEvents.id, eventId));
}

/** Events stored but still unprocessed a minute later (their job was lost), oldest first. */
export async function unprocessedStripeEvents(db: Database, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: stripeEvents.id })
    .from(stripeEvents)
    .where(
      and(
        isNull(stripeEvents.processedAt),
        // The database's clock stamped received_at, so it is the one to compare with.
        lt(stripeEvents.receivedAt, sql`now() - interval '1 minute'`),
      ),
    )
    .orderBy(stripeEvents.stripeCreatedAt)
    .limit(limit);
  return rows.map((row) => row.id);
}
