import type { State } from '../state.ts';
import type { Invoice } from '../types.ts';
import { attemptPayment } from './payments.ts';

/**
 * Automatic collection: Stripe charges an open, auto-advancing charge_automatically invoice by
 * itself an hour after finalization (finalizeDraft sets `next_payment_attempt` for that).
 * Invoices charged on the spot (subscription flows, POST /pay) are already attempted.
 */
export function awaitingCollection(state: State): Invoice[] {
  return [...state.invoices.values()].filter(
    (invoice) =>
      invoice.status === 'open' &&
      invoice.auto_advance &&
      invoice.collection_method === 'charge_automatically' &&
      !invoice.attempted &&
      invoice.next_payment_attempt !== null,
  );
}

/** Attempts payment of the invoices due by `now` (all awaiting ones when null); returns their ids. */
export function collectInvoices(state: State, now: number | null): string[] {
  const due = awaitingCollection(state).filter(
    (invoice) => now === null || (invoice.next_payment_attempt ?? Infinity) <= now,
  );
  for (const invoice of due) attemptPayment(state, invoice);
  return due.map((invoice) => invoice.id);
}
