// A desktop app's entitlement checks, in a process of its own:
//   node examples/entitlements-client/main.ts online   loads from the server, saves a token
//   node examples/entitlements-client/main.ts offline  the server unreachable: answers from it
// BILLING_URL, API_KEY, FEATURE, TOKEN_FILE (and DEVICE_ID) say where and what. Each answer is
// printed as one JSON line.
import { readFile, writeFile } from 'node:fs/promises';
import { EntitlementsClient } from '@graphql-billing/entitlements-client';
import WebSocket from 'ws';

const { BILLING_URL = 'http://127.0.0.1:4000', API_KEY, FEATURE = 'sso', TOKEN_FILE } = process.env;
if (!API_KEY || !TOKEN_FILE) {
  console.error('set API_KEY and TOKEN_FILE');
  process.exit(2);
}
const mode = process.argv[2];
const saved = mode === 'offline' ? JSON.parse(await readFile(TOKEN_FILE, 'utf8')) : undefined;
const client = new EntitlementsClient({
  url: BILLING_URL,
  apiKey: API_KEY,
  webSocketImpl: WebSocket,
  ...(saved ? { token: saved } : {}),
});
const source = await client.connect();
console.log(JSON.stringify({ connected: source, [FEATURE]: client.can(FEATURE) }));
if (mode === 'online') {
  await writeFile(TOKEN_FILE, JSON.stringify(await client.issueToken(process.env.DEVICE_ID)));
  console.log(JSON.stringify({ saved: TOKEN_FILE }));
}
await client.close();
