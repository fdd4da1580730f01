import Stripe from 'stripe';
import { BillingProviderError } from '../errors.ts';

/** Runs a Stripe call; its failures become BillingProviderError (with Stripe's code). */
export async function call<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof Stripe.errors.StripeError) {
      throw new BillingProviderError(`Stripe: ${error.message}`, error.code ?? error.type ?? null);
    }
    throw error;
  }
}

/**
 * Stripe takes amounts of at most eight digits (99,999,999 minor units: $999,999.99); a larger
 * one is refused here, with a clear error, instead of being sent.
 */
const STRIPE_MAX_AMOUNT = 99_999_999n;

export function stripeAmount(amount: bigint, what: string): number {
  if (amount > STRIPE_MAX_AMOUNT || amount < -STRIPE_MAX_AMOUNT) {
    throw new BillingProviderError(
      `${what} of ${amount} minor units is more than Stripe accepts in one amount (at most ${STRIPE_MAX_AMOUNT})`,
      'amount_too_large',
    );
  }
  return Number(amount);
}
