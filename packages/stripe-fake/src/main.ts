import { startStripeFake } from './index.ts';

/** `npm run stripe:fake`: a long-running fake for local development of the billing server. */
const fake = await startStripeFake({
  port: Number(process.env.STRIPE_FAKE_PORT ?? 12111),
  ...(process.env.STRIPE_FAKE_WEBHOOK_URL
    ? { webhookUrl: process.env.STRIPE_FAKE_WEBHOOK_URL }
    : {}),
  ...(process.env.STRIPE_FAKE_WEBHOOK_SECRET
    ? { webhookSecret: process.env.STRIPE_FAKE_WEBHOOK_SECRET }
    : {}),
});
// Local development uses the portal: its settings count as saved, as in a configured account.
fake.configurePortal();
console.log(`Stripe fake listening on ${fake.url}`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await fake.webhooks.flush();
  await fake.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
