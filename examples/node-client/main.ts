// A typed Node client of the billing server: subscribes to threshold alerts over graphql-ws,
// records usage over HTTP, and prints every alert it hears. Types come from the documents
// `npm run codegen` generated in ./gql/ from operations.graphql.
//
//   BILLING_URL=http://127.0.0.1:4000 BILLING_API_KEY=bsk_... \
//     node examples/node-client/main.ts --meter api_requests --quantity 80000 --alerts 2
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createClient } from 'graphql-ws';
import {
  RecordUsageDocument,
  ThresholdAlertsDocument,
  type ThresholdAlertsSubscription,
} from './gql/graphql.ts';
import { request } from './request.ts';

const { values: args } = parseArgs({
  options: {
    meter: { type: 'string', default: 'api_requests' },
    quantity: { type: 'string', default: '1' },
    /** Exit once this many alerts arrived (0: keep listening). */
    alerts: { type: 'string', default: '0' },
    'timeout-seconds': { type: 'string', default: '30' },
  },
});

const baseUrl = process.env.BILLING_URL ?? 'http://127.0.0.1:4000';
const apiKey = process.env.BILLING_API_KEY;
if (!apiKey) {
  console.error('Set BILLING_API_KEY to an OWNER or INGEST key (and BILLING_URL to the server).');
  process.exit(2);
}
const wanted = Number(args.alerts);
const timeout = setTimeout(() => {
  console.error(`no ${wanted} alert(s) within ${args['timeout-seconds']} s`);
  process.exit(1);
}, Number(args['timeout-seconds']) * 1000);

const ws = createClient({
  url: `${baseUrl.replace(/^http/, 'ws')}/graphql`,
  connectionParams: { authorization: `Bearer ${apiKey}` },
});

let heard = 0;
const subscribed = new Promise<void>((resolve, reject) => {
  ws.on('connected', () => resolve());
  const unsubscribe = ws.subscribe<ThresholdAlertsSubscription>(
    { query: ThresholdAlertsDocument.toString() },
    {
      next({ data, errors }) {
        if (errors) return console.error('alert stream error:', errors[0]?.message);
        const alert = data?.thresholdCrossed;
        if (!alert) return;
        console.log(
          `ALERT ${alert.meter.key} crossed ${alert.threshold}%: ${alert.used} of ${alert.limit} (${alert.pct.toFixed(1)}%) at ${alert.crossedAt}`,
        );
        heard += 1;
        if (wanted > 0 && heard >= wanted) {
          clearTimeout(timeout);
          unsubscribe();
          void ws.dispose();
        }
      },
      // A refused key closes the socket (4401 no key or unknown key, 4403 not allowed).
      error: (error: unknown) => reject(new Error(describeFailure(error))),
      complete: () => {},
    },
  );
});
await subscribed.catch((error: Error) => {
  console.error(`alert stream: ${error.message}`);
  process.exit(1);
});

const { recordUsage } = await request(baseUrl, apiKey, RecordUsageDocument, {
  input: {
    meter: args.meter,
    quantity: args.quantity,
    // A retry of this request with the same key would count once.
    idempotencyKey: randomUUID(),
  },
});
switch (recordUsage.__typename) {
  case 'RecordUsageSuccess': {
    const { used, limit, pct, status } = recordUsage.usage;
    console.log(
      `recorded ${args.quantity} ${args.meter}: ${used} of ${limit ?? 'unlimited'}${pct === null || pct === undefined ? '' : ` (${pct.toFixed(1)}%)`}, ${status}`,
    );
    break;
  }
  case 'QuotaExceededError':
  case 'ValidationError':
    console.error(`refused: ${recordUsage.message}`);
    process.exitCode = 1;
    break;
}
if (wanted === 0) console.log('listening for alerts; Ctrl-C to stop');

/** graphql-ws fails with a CloseEvent (code and reason), GraphQL errors or an Error. */
function describeFailure(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (Array.isArray(error)) return error.map((e: { message?: string }) => e.message).join('; ');
  const close = error as { code?: number; reason?: string };
  return `connection closed ${close.code ?? ''} ${close.reason ?? ''}`.trim();
}
