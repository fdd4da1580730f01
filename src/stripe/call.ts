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
