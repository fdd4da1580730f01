import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterEach } from 'vitest';
import { type StripeFake, type StripeFakeOptions, startStripeFake } from '../src/index.ts';

/**
 * The fake's tests drive it through stripe-node over real HTTP. Fakes and receivers started by a
 * test stop after it.
 */
export const DAY = 86_400;
const running: StripeFake[] = [];
const receivers: Server[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((fake) => fake.stop()));
  await Promise.all(
    receivers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
  );
});

export async function setup(maxNetworkRetries = 0, options: StripeFakeOptions = {}) {
  const fake = await startStripeFake(options);
  running.push(fake);
  const stripe = new Stripe('sk_test_x', { ...fake.clientOptions, maxNetworkRetries });
  return { fake, stripe };
}

/** A product with a monthly price. */
export async function monthlyPrice(
  stripe: Stripe,
  name: string,
  unitAmount: number,
  lookupKey?: string,
) {
  const product = await stripe.products.create({ name });
  return stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: unitAmount,
    recurring: { interval: 'month' },
    ...(lookupKey ? { lookup_key: lookupKey } : {}),
  });
}

export async function caught(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

interface Received {
  body: string;
  signature: string;
}

/** A webhook receiver on a free port, recording raw bodies and signatures. */
export async function startReceiver(): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ body, signature: String(req.headers['stripe-signature']) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receivers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`, received };
}

export function firstItem(subscription: Stripe.Subscription): Stripe.SubscriptionItem {
  const item = subscription.items.data[0];
  if (!item) throw new Error(`${subscription.id} has no items`);
  return item;
}

/** Ids of the customer's invoice items not yet on an invoice. */
export function pendingItemIds(fake: StripeFake, customer: string): string[] {
  return [...fake.state.invoiceItems.values()]
    .filter((item) => item.customer === customer && item.invoice === null)
    .map((item) => item.id);
}
