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
import { record, uniqueKey, usageOf } from './support/usage.ts';
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

const upgradeButton = (page: Page) => page.getByRole('button', { name: 'Upgrade now' });

const meterNote = (page: Page, meter: string) =>
  page.locator(`[data-testid=meter][data-meter=${meter}] .meter-note`);

/** The organization's subscription made in Stripe (the fake): its renewals follow the clock. */
function provisioned(ownerKey: string): Promise<string> {
  return waitFor('provisioning in Stripe', async () => {
    const { data } = await gql(server.graphqlUrl, '{ subscription { stripeSubscriptionId } }', {
      key: ownerKey,
    });
    return data?.subscription?.stripeSubscriptionId ?? undefined;
  });
}

/**
 * A new tab, signed in with `key`; with `at`, its clock reads the fake's time (which the server
 * follows), so that the page and the server agree on how much of the period has passed.
 */
async function openDashboard(key: string, options: { at?: number } = {}) {
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const sockets: string[] = [];
  page.on('websocket', (socket) => sockets.push(socket.url()));
  if (options.at !== undefined) await page.clock.setFixedTime(options.at);
  await page.goto(`${server.url}/dashboard`);
  await page.fill('#api-key', key);
  await page.click('button[type=submit]');
  return { page, pageErrors, sockets };
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** The first instant of the UTC month after the one containing `ms`: usage periods end there. */
const nextMonthStart = (ms: number) => {
  const at = new Date(ms);
  return Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1);
};
/** Moves the Stripe fake's clock, which the server follows, to `ms`; renewals on the way run. */
async function advanceTo(ms: number) {
  await fake.advanceTime(Math.ceil(ms / 1000 - fake.now()));
  await fake.webhooks.flush();
}

describe('the dashboard in a browser', () => {
  it('shows usage, WARNING at 80 %, EXCEEDED at 100 % and PAST_DUE live, and no upgrade to a VIEWER', {
    timeout: 120_000,
  }, async () => {
    const org = await createOrganization(server.graphqlUrl, server.adminKey, {
      planKey: 'starter',
    });
    const stripeSubscriptionId = await provisioned(org.ownerKey);
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

    // A VIEWER may not change the plan (changePlan would answer FORBIDDEN): no button offers it.
    expect(await upgradeButton(page).count()).toBe(0);
    expect(await page.textContent('[data-testid=upgrade-not-allowed]')).toBe(
      'Plan changes need an OWNER key.',
    );

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

  it('says "Authentication failed" for a refused key, not "connection lost", and stops trying it', {
    timeout: 60_000,
  }, async () => {
    // An unknown key: HTTP answers 401, graphql-ws closes with 4401; whichever comes first says.
    const unknown = await openDashboard('bsk_not_a_key_of_this_server_000000000000000');
    const failure = unknown.page.getByRole('alert');
    await expect
      .poll(() => failure.textContent(), { timeout: 10_000 })
      .toMatch(
        /^Authentication failed: (Invalid API key: unknown or revoked|Unauthorized: the API key is unknown or revoked)$/,
      );
    const first = await failure.textContent();
    // Both transports have answered by now; the first reason stays, and nothing reconnects.
    await sleep(1_000);
    const sockets = unknown.sockets.length;
    await sleep(1_000);
    expect(unknown.sockets.length).toBe(sockets);
    expect(await failure.textContent()).toBe(first);
    expect(await unknown.page.textContent('body')).not.toContain('connection lost');
    await unknown.page.screenshot({ path: join(SCREENSHOTS, '4-refused-key.png'), fullPage: true });
    // "Use another key" goes back to the form.
    await unknown.page.click('text=Use another key');
    await unknown.page.waitForSelector('#api-key');
    expect(unknown.pageErrors).toEqual([]);
    await unknown.page.close();

    // A key revoked while the page is open: its socket is closed with 4403.
    const org = await createOrganization(server.graphqlUrl, server.adminKey, {
      planKey: 'starter',
    });
    const created = await gql(
      server.graphqlUrl,
      'mutation ($o: ID!) { createApiKey(organizationId: $o, role: VIEWER) { ... on CreateApiKeySuccess { apiKey { id secret } } } }',
      { key: org.ownerKey, variables: { o: org.id } },
    );
    const { id, secret } = created.data?.createApiKey.apiKey ?? {};
    const revoked = await openDashboard(secret);
    await revoked.page.waitForSelector('[data-testid=live]:has-text("live")', { timeout: 15_000 });
    const answer = await gql(
      server.graphqlUrl,
      'mutation ($id: ID!) { revokeApiKey(id: $id) { __typename } }',
      { key: org.ownerKey, variables: { id } },
    );
    expect(answer.data?.revokeApiKey.__typename).toBe('CreateApiKeySuccess');
    await expect
      .poll(() => revoked.page.getByRole('alert').allTextContents(), { timeout: 10_000 })
      .toEqual(['Authentication failed: Forbidden: the API key was revoked']);
    const afterRevocation = revoked.sockets.length;
    await sleep(1_000);
    expect(revoked.sockets.length).toBe(afterRevocation);
    expect(revoked.pageErrors).toEqual([]);
    await revoked.page.close();
  });

  it('projects counters in whole units once a tenth of the period has passed, never gauges, and a HARD gauge at its limit reads "at limit"', {
    timeout: 120_000,
  }, async () => {
    const org = await createOrganization(server.graphqlUrl, server.adminKey, {
      planKey: 'starter',
    });
    await provisioned(org.ownerKey);
    // Day one of a whole calendar month, 10 hours in (1.3 to 1.5 % of it).
    const periodStart = nextMonthStart(fake.now() * 1000);
    const periodLength = nextMonthStart(periodStart) - periodStart;
    await advanceTo(periodStart + 10 * HOUR_MS);
    const recordNow = (meter: string, quantity: string) =>
      record(server.graphqlUrl, org.ownerKey, {
        meter,
        quantity,
        idempotencyKey: uniqueKey('dash'),
      });
    await recordNow('api_requests', '4700');
    await recordNow('storage_gb', '3');
    // starter's seats: LAST, HARD at 5.
    await recordNow('seats', '5');
    const { page, pageErrors } = await openDashboard(org.ownerKey, { at: fake.now() * 1000 });
    await page.waitForSelector('[data-testid=live]:has-text("live")', { timeout: 15_000 });
    await sleep(300);

    // The server projects 4,700 requests in 10 hours to some 350,000 by the end of the month:
    // too early to mean anything, so the page does not say it.
    const requests = meterNote(page, 'api_requests');
    await expect
      .poll(() => requests.textContent(), { timeout: 5_000 })
      .toMatch(/^too early to project \(from \w+ \d+\)$/);
    expect(await page.textContent('body')).not.toContain('projected');
    // Gauges are not projected at all.
    expect(await meterNote(page, 'storage_gb').textContent()).toBe('');
    // The seats at their HARD limit: "at limit", not EXCEEDED (nor the server's WARNING).
    const seats = page.locator('[data-testid=meter][data-meter=seats]');
    expect(await seats.getAttribute('data-status')).toBe('AT_LIMIT');
    expect(await meterNote(page, 'seats').textContent()).toBe('at limit · blocked');
    expect(await banner(page, 'AT_LIMIT', 'seats').textContent()).toBe(
      'AT LIMIT Seats: at the limit. Further usage is refused until the next period or an upgrade.',
    );
    expect(await banner(page, 'EXCEEDED', 'seats').count()).toBe(0);
    await page.screenshot({ path: join(SCREENSHOTS, '5-day-one.png'), fullPage: true });

    // 12 days in (39 to 43 % of the month): the projection shows, live, in whole requests.
    await advanceTo(periodStart + 12 * DAY_MS);
    await page.clock.setFixedTime(fake.now() * 1000);
    await recordNow('api_requests', '45300');
    // Grouped digits and no decimal point: whole requests.
    await expect
      .poll(() => requests.textContent(), { timeout: LIVE_WITHIN_MS })
      .toMatch(/^projected \d{1,3}(,\d{3})* by the end of the period: over the limit$/);
    const shown = Number((await requests.textContent())?.replace(/\D/g, ''));
    // 50,000 in 12 days, linearly over the month: the server's figure (to 4 decimals), whole.
    const onServer = await usageOf(server.graphqlUrl, org.ownerKey, 'api_requests');
    expect(Math.abs(shown - (50_000 * periodLength) / (12 * DAY_MS))).toBeLessThan(50);
    expect(Math.abs(shown - Math.floor(Number(onServer.projected)))).toBeLessThan(50);
    expect(await meterNote(page, 'storage_gb').textContent()).toBe('');
    expect(await meterNote(page, 'seats').textContent()).toBe('at limit · blocked');
    await page.screenshot({ path: join(SCREENSHOTS, '6-projected.png'), fullPage: true });

    // The OWNER has the upgrade button, and it works.
    await page.selectOption('[aria-label="plan to upgrade to"]', 'growth');
    await upgradeButton(page).click();
    await expect
      .poll(() => page.textContent('[data-testid=upgrade-outcome]'), { timeout: 10_000 })
      .toBe('Now on Growth.');
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
