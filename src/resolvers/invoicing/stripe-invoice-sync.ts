import { eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import type { BackgroundServices } from '../../context.ts';
import { type InvoiceRow, type InvoiceStatus, invoices } from '../../db/schema.ts';
import type { Logger } from '../../logger.ts';
import { announceInvoices } from '../live/announcements.ts';
import { nextInvoiceNumber } from './invoice-store.ts';

type SyncServices = Pick<BackgroundServices, 'db' | 'now' | 'live' | 'stripe'>;

const STATUS: Record<Stripe.Invoice.Status, InvoiceStatus> = {
  draft: 'DRAFT',
  open: 'OPEN',
  paid: 'PAID',
  void: 'VOID',
  uncollectible: 'UNCOLLECTIBLE',
};

/** Reads one of our invoices afresh from Stripe and applies it: whatever order events come in. */
export async function syncInvoice(
  services: SyncServices,
  log: Logger,
  stripeInvoiceId: string,
): Promise<InvoiceRow | null> {
  if (!services.stripe) return null;
  const observedAt = services.now();
  const invoice = await services.stripe.invoicing.retrieve(stripeInvoiceId);
  return applyStripeInvoice(services, log, invoice, observedAt);
}

/**
 * Applies Stripe's state of one of our invoices (its metadata names it): status, payment,
 * attempts, the hosted page. A state read earlier than the one held never overwrites it; a
 * change is announced as invoiceUpdated. Stripe invoices that are not ours (the subscription's
 * own, for the base price) are left alone. Answers the invoice when it changed.
 */
export async function applyStripeInvoice(
  services: SyncServices,
  log: Logger,
  stripeInvoice: Stripe.Invoice,
  observedAt: Date,
): Promise<InvoiceRow | null> {
  const invoiceId = stripeInvoice.metadata?.invoice_id;
  if (!invoiceId || !stripeInvoice.id) return null;
  const updated = await services.db.transaction(async (tx) => {
    const [row] = await tx.select().from(invoices).where(eq(invoices.id, invoiceId)).for('update');
    if (!row) {
      log.warn(
        { invoiceId, stripeInvoiceId: stripeInvoice.id },
        'Stripe invoice of no invoice here; ignored',
      );
      return null;
    }
    if (row.stripeStateAt && row.stripeStateAt > observedAt) return null;
    const status = STATUS[stripeInvoice.status ?? 'draft'];
    const transitions = stripeInvoice.status_transitions;
    const at = (unix: number | null | undefined) => (unix ? new Date(unix * 1000) : null);
    const values = {
      status,
      stripeInvoiceId: stripeInvoice.id,
      hostedInvoiceUrl: stripeInvoice.hosted_invoice_url ?? row.hostedInvoiceUrl,
      amountPaid: BigInt(stripeInvoice.amount_paid),
      finalizedAt: row.finalizedAt ?? at(transitions?.finalized_at),
      paidAt: at(transitions?.paid_at),
      failedPaymentAttempts: status === 'PAID' ? 0 : stripeInvoice.attempt_count,
    };
    const changed = (Object.keys(values) as (keyof typeof values)[]).some(
      (key) => String(row[key]) !== String(values[key]),
    );
    if (!changed) {
      await tx.update(invoices).set({ stripeStateAt: observedAt }).where(eq(invoices.id, row.id));
      return null;
    }
    const [next] = await tx
      .update(invoices)
      .set({
        ...values,
        stripeStateAt: observedAt,
        // Our number is drawn when the invoice leaves DRAFT.
        ...(row.number === null && status !== 'DRAFT' ? { number: nextInvoiceNumber } : {}),
      })
      .where(eq(invoices.id, row.id))
      .returning();
    return next ?? null;
  });
  if (updated) announceInvoices(services, [updated]);
  return updated;
}
