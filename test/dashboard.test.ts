import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type StripeFake, startStripeFake } from '@graphql-billing/stripe-fake';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/browser.ts';
import { createIsolatedStorage, type ScratchDatabase } from './support/database.ts';
import { createKey, createOrganization } from './support/fixtures.ts';
import { gql, sleep } from './support/graphql.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { stripeEnv } from './support/stripe.ts';
import { record, uniqueKey } from './support/usage.ts';
import { waitFor } from './support/wait.ts';

/**
 * The example dashboard, built with Vite and served by the server at /dashboard, in Debian's
 * Chromium: usage bars and banners follow the API live, without a reload.
 */
const SCREENSHOTS = resolve('test-output/dashboard');
/** The bound: a change shows within 2 s. */
const LIVE_WITHIN_MS = 2_000;

let dashboardDir: string;
let fake: StripeFake;
let server: TestServer;
let storage: ScratchDatabase;
let browser: Browser;

beforeAll(async () => {
  dashboardDir = mkdtempSync(join(tmpdir(), 'billing-dashboard-'));
  // The build users get: vitest sets NODE_ENV=test, which would bundle React's development build.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  await build({
    configFile: resolve('examples/dashboard/vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: dashboardDir, emptyOutDir: true },
  }).finally(() => {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  });
  fake = await startStripeFake();
  // A database of its own: the plans' Stripe prices are global, and other tests' servers sync
  // them with Stripe fakes of their own.
  storage = await createIsolatedStorage();
  server = await startTestServer(
    stripeEnv(fake, { DASHBOARD_DIR: dashboardDir }),
    storage,
    // The server's clock follows the fake's, so that the period agrees when it moves.
    { now: () => new Date(fake.now() * 1000) },
  );
  fake.setWebhookUrl(`${server.url}/webhooks/stripe`);
  browser = await launchChromium();
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await fake?.stop();
  await storage?.drop();
  if (dashboardDir) rmSync(dashboardDir, { recursive: true, force: true });
});

async function upcomingTotal(key: string): Promise<string> {
  const { data } = await gql(server.graphqlUrl, '{ upcomingInvoice { total { formatted } } }', {
    key,
  });
  return data?.upcomingInvoice?.total.formatted;
}

const cents = (formatted: string) => Math.round(Number(formatted.replace(/[$,]/g, '')) * 100);

const banner = (page: Page, level: string, subject: string) =>
  page.locator(`[data-testid=banner][data-level=${level}][data-subject=${subject}]`);

describe('the dashboard in a browser', () => {
  it('shows usage, WARNING at 80 %, EXCEEDED at 100 % and PAST_DUE live, and the typed error of a VIEWER upgrade', {
    timeout: 120_000,
  }, async () => {
    const org = await createOrganization(server.graphqlUrl, server.adminKey, {
      planKey: 'starter',
    });
    const stripeSubscriptionId = await waitFor('provisioning in Stripe', async () => {
      const { data } = await gql(server.graphqlUrl, '{ subscription { stripeSubscriptionId } }', {
        key: org.ownerKey,
      });
      return data?.subscription?.stripeSubscriptionId ?? undefined;
    });
    const viewerKey = await createKey(server.graphqlUrl, org.ownerKey, org.id, 'VIEWER');

    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // What the page and its sockets did, printed when a step fails.
    const trace: string[] = [];
    const at = () => new Date().toISOString().slice(11, 23);
    page.on('console', (message) =>
      trace.push(`${at()} console.${message.type()}: ${message.text()}`),
    );
    page.on('websocket', (socket) => {
      trace.push(`${at()} ws open ${socket.url()}`);
      socket.on('framesent', (f) =>
        trace.push(`${at()} ws sent ${String(f.payload).slice(0, 80)}`),
      );
      socket.on('framereceived', (f) =>
        trace.push(`${at()} ws received ${String(f.payload).slice(0, 80)}`),
      );
      socket.on('socketerror', (e) => trace.push(`${at()} ws error ${e}`));
      socket.on('close', () => trace.push(`${at()} ws closed`));
    });
    const step = async <T>(what: string, action: Promise<T>): Promise<T> => {
      try {
        return await action;
      } catch (error) {
        throw new Error(`${what}: ${(error as Error).message}\n${trace.join('\n')}`);
      }
    };
    await page.goto(`${server.url}/dashboard`);
    await page.fill('#api-key', viewerKey);
    await page.click('button[type=submit]');

    // The key is kept in the tab's sessionStorage, never in the URL.
    expect(page.url()).toBe(`${server.url}/dashboard/`);
    expect(await page.evaluate(() => sessionStorage.getItem('billing.apiKey'))).toBe(viewerKey);

    const requests = page.locator('[data-testid=meter][data-meter=api_requests]');
    // The first load is not what the 2 s bound is about: it may take longer on a busy machine.
    await expect.poll(() => requests.getAttribute('data-status'), { timeout: 15_000 }).toBe('OK');
    expect(await page.textContent('[data-testid=plan]')).toContain('Starter');
    expect(await page.textContent('[data-testid=subscription-status]')).toBe('ACTIVE');
    // The first month is prorated from the day the organization began: the API's figure.
    expect(await page.textContent('[data-testid=upcoming-total]')).toBe(
      await upcomingTotal(org.ownerKey),
    );
    await step(
      'the live connection',
      page.waitForSelector('[data-testid=live]:has-text("live")', { timeout: 15_000 }),
    );
    // graphql-ws has no acknowledgement of a subscribe message: give the three a moment to land.
    await sleep(300);
    // Marks this document: a reload would lose it.
    await page.evaluate(() => {
      (window as unknown as { marker: number }).marker = 42;
    });

    // 80 % of starter's 100,000 requests: the bar and the WARNING banner follow within 2 s.
    await record(server.graphqlUrl, org.ownerKey, {
      meter: 'api_requests',
      quantity: '80000',
      idempotencyKey: uniqueKey('dash'),
    });
    await banner(page, 'WARNING', 'api_requests').waitFor({ timeout: LIVE_WITHIN_MS });
    expect(await requests.getAttribute('data-status')).toBe('WARNING');
    expect(await requests.locator('[role=progressbar]').getAttribute('aria-valuenow')).toBe('80');
    expect(await requests.locator('[data-testid=meter-figures]').textContent()).toContain(
      '80,000 / 100,000 (80.0 %)',
    );
    expect(await banner(page, 'WARNING', 'api_requests').textContent()).toContain('80 %');
    await page.screenshot({ path: join(SCREENSHOTS, '1-warning.png'), fullPage: true });

    // 100 %: EXCEEDED replaces WARNING; starter bills requests over the limit as overage.
    await record(server.graphqlUrl, org.ownerKey, {
      meter: 'api_requests',
      quantity: '20000',
      idempotencyKey: uniqueKey('dash'),
    });
    await banner(page, 'EXCEEDED', 'api_requests').waitFor({ timeout: LIVE_WITHIN_MS });
    expect(await banner(page, 'WARNING', 'api_requests').count()).toBe(0);
    expect(await requests.getAttribute('data-status')).toBe('EXCEEDED');
    // The threshold alerts arrived too, each once.
    await expect
      .poll(() => page.locator('[data-testid=alert]').allTextContents(), { timeout: 5_000 })
      .toEqual([
        expect.stringContaining('crossed 100 %'),
        expect.stringContaining('crossed 90 %'),
        expect.stringContaining('crossed 75 %'),
        expect.stringContaining('crossed 50 %'),
      ]);
    // 10,000 over the limit at $0.0005: the upcoming invoice grows by $5.00 on the page too.
    const before = await upcomingTotal(org.ownerKey);
    await record(server.graphqlUrl, org.ownerKey, {
      meter: 'api_requests',
      quantity: '10000',
      idempotencyKey: uniqueKey('dash'),
    });
    const after = await upcomingTotal(org.ownerKey);
    expect(cents(after) - cents(before)).toBe(500);
    await expect
      .poll(() => page.textContent('[data-testid=upcoming-total]'), { timeout: 5_000 })
      .toBe(after);
    await page.screenshot({ path: join(SCREENSHOTS, '2-exceeded.png'), fullPage: true });

    // The upgrade button shows the API's answer: a VIEWER may not change the plan.
    await page.click('text=Upgrade now');
    await expect
      .poll(() => page.textContent('[data-testid=upgrade-outcome]'), { timeout: 5_000 })
      .toMatch(/^FORBIDDEN: /);

    // A failed renewal payment, reported by Stripe's webhook: the PAST_DUE banner shows.
    const customer = fake.state.subscriptions.get(stripeSubscriptionId)?.customer as string;
    fake.setCardDeclined(customer, true);
    await fake.advanceToPeriodEnd(stripeSubscriptionId);
    await fake.webhooks.flush();
    await banner(page, 'PAST_DUE', 'subscription').waitFor({ timeout: 10_000 });
    expect(await page.textContent('[data-testid=subscription-status]')).toBe('PAST_DUE');
    await page.screenshot({ path: join(SCREENSHOTS, '3-past-due.png'), fullPage: true });

    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('serves the page with a strict content security policy and nothing outside its folder', async () => {
    const page = await fetch(`${server.url}/dashboard/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const asset = (await page.text()).match(/\/dashboard\/assets\/[\w.-]+\.js/)?.[0] as string;
    const script = await fetch(`${server.url}${asset}`);
    expect(script.headers.get('cache-control')).toContain('immutable');
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    for (const path of ['/dashboard/..%2f..%2fpackage.json', '/dashboard/%2e%2e/package.json']) {
      expect((await fetch(`${server.url}${path}`)).status).toBe(404);
    }
    expect((await fetch(`${server.url}/dashboard/missing.js`)).status).toBe(404);
  });
});
