import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/browser.ts';
import { createOrganization } from './support/fixtures.ts';
import { sleep } from './support/graphql.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { record, uniqueKey } from './support/usage.ts';

/**
 * GraphiQL in development, offline: the page and everything it loads come from the server itself
 * (the @graphql-yoga/graphiql package), never from a CDN.
 */
const SCREENSHOTS = resolve('test-output/graphiql');

let server: TestServer;
let browser: Browser | undefined;
beforeAll(async () => {
  server = await startTestServer({ NODE_ENV: 'development' });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function graphiqlPage(): Promise<Response> {
  return fetch(server.graphqlUrl, { headers: { accept: 'text/html' } });
}

/** The URLs of the page's scripts and stylesheets (src= and href= of <script> and <link>). */
function assetUrls(html: string): string[] {
  const tags = html.match(/<(script|link)\b[^>]*>/g) ?? [];
  return tags.flatMap((tag) => {
    const url = /\b(?:src|href)="([^"]*)"/.exec(tag)?.[1];
    return url && !url.startsWith('data:') ? [url] : [];
  });
}

describe('GraphiQL (NODE_ENV=development)', () => {
  it('references no other host', async () => {
    const response = await graphiqlPage();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    const html = await response.text();
    expect(html).not.toMatch(/unpkg|jsdelivr|cdnjs|googleapis|githubusercontent/i);
    expect(html).not.toMatch(/(?:src|href)=["']?(?:https?:)?\/\//i);
    // The workers' URLs, in the inline script, are this server's too.
    expect(html).toMatch(/"\/graphiql\/[^"]+\/monacoeditorwork\/editor\.worker\.bundle\.js"/);
    const urls = assetUrls(html);
    expect(urls.length).toBeGreaterThanOrEqual(2);
    for (const url of urls) expect(url).toMatch(/^\/(?!\/)/);
  });

  it('serves every script, stylesheet and worker it references', async () => {
    const html = await (await graphiqlPage()).text();
    const workers = [...html.matchAll(/"(\/graphiql\/[^"]+\.js)"/g)].map((m) => m[1] as string);
    const urls = [...new Set([...assetUrls(html), ...workers])];
    expect(urls.some((u) => u.endsWith('.css'))).toBe(true);
    expect(urls.filter((u) => u.endsWith('.js')).length).toBeGreaterThanOrEqual(4);
    for (const url of urls) {
      const response = await fetch(new URL(url, server.url));
      expect(response.status, url).toBe(200);
      const type = response.headers.get('content-type') ?? '';
      expect(type, url).toMatch(url.endsWith('.css') ? /^text\/css/ : /^text\/javascript/);
      expect((await response.arrayBuffer()).byteLength, url).toBeGreaterThan(50_000);
    }
  });

  it('answers 404 for a file the package does not ship for GraphiQL', async () => {
    const html = await (await graphiqlPage()).text();
    const css = assetUrls(html).find((u) => u.endsWith('.css')) as string;
    const base = css.slice(0, css.lastIndexOf('/'));
    const paths = [`${base}/..%2fpackage.json`, `${base}/yoga-graphiql.es.js`, '/graphiql/x'];
    for (const path of paths) {
      const response = await fetch(new URL(path, server.url));
      expect(response.status, path).toBe(404);
    }
  });

  it('opens with an example query and says how to send the key', async () => {
    const html = await (await graphiqlPage()).text();
    const options = /^const options = (\{.*\});$/m.exec(html)?.[1];
    const query = (JSON.parse(options ?? '{}') as { defaultQuery?: string }).defaultQuery;
    expect(query).toMatch(/^query MonthToDateUsage \{$/m);
    expect(query).toMatch(/^ {2}usage \{$/m);
    expect(query).toMatch(/Open the "Headers"\s+# tab/);
    expect(query).toContain('{ "Authorization": "Bearer <your API key>" }');
  });

  it('renders the editor in Chromium with every other host blocked, and runs the example', async () => {
    const org = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: 'free' });
    browser = await launchChromium();
    const { page, elsewhere, errors, close } = await openOffline(browser);
    await page.goto(server.graphqlUrl);
    await page.locator('.graphiql-container').first().waitFor({ timeout: 20_000 });
    await expect.poll(() => textOf(page, '.graphiql-query-editor')).toContain('MonthToDateUsage');
    // What the note says: the key in the headers pane (open from the start), then run.
    await page.locator('.graphiql-editor-tool .graphiql-editor').last().click();
    await page.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${org.ownerKey}` }));
    await page.locator('.graphiql-execute-button').click();
    await expect
      .poll(() => textOf(page, '.graphiql-response'))
      .toMatch(/"role": "OWNER".*"key": "api_requests"/);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'graphiql.png') });

    // A subscription sends the same headers (over SSE: a browser's WebSocket has no headers).
    await page.locator('.graphiql-query-editor').click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.insertText(
      'subscription LiveUsage { usageUpdated(meter: "api_requests") { used } }',
    );
    // Run once GraphiQL has parsed the new operation (its tab takes the operation's name).
    await page.locator('.graphiql-tab', { hasText: 'LiveUsage' }).waitFor();
    await page.locator('.graphiql-execute-button').click();
    await sleep(500); // the subscription is registered
    await record(server.graphqlUrl, org.ownerKey, {
      meter: 'api_requests',
      quantity: '7',
      idempotencyKey: uniqueKey(),
    });
    await expect.poll(() => textOf(page, '.graphiql-response')).toMatch(/"used": "7"/);
    expect(elsewhere).toEqual([]);
    expect(errors).toEqual([]);
    await close();
  }, 60_000);
});

/** A page whose requests to any other host fail, as offline; and the errors it logs. */
async function openOffline(chromium: Browser) {
  const context = await chromium.newContext();
  const origin = new URL(server.url).origin;
  const elsewhere: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) {
      return route.continue();
    }
    elsewhere.push(url);
    return route.abort('internetdisconnected');
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return { page, elsewhere, errors, close: () => context.close() };
}

/** An editor's text, on one line: Monaco shows spaces as no-break spaces, lines as elements. */
async function textOf(page: Page, selector: string): Promise<string> {
  return (await page.locator(selector).innerText()).replace(/\s+/g, ' ');
}
