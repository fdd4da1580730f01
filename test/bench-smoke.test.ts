import { describe, expect, it } from 'vitest';
import {
  formatEntitlementReport,
  runEntitlementBench,
  TINY as TINY_ENTITLEMENTS,
} from '../bench/entitlements.ts';
import { formatFanout, runFanoutBench, TINY as TINY_FANOUT } from '../bench/fanout.ts';
import { formatReport, runIngestBench, TINY } from '../bench/ingest.ts';
import { formatInvoiceReport, runInvoiceBench, TINY as TINY_INVOICES } from '../bench/invoices.ts';

/**
 * The benchmarks at a tiny size, so that they keep working. Their figures mean nothing at this
 * size and are not asserted; that every request and delivery succeeded is.
 */
function postgresServerUrl(): string {
  const url = new URL(
    process.env.DATABASE_URL ??
      process.env.TEST_POSTGRES_URL ??
      'postgres://postgres@127.0.0.1:5432/postgres',
  );
  url.pathname = '/postgres';
  return url.toString();
}

describe('bench:ingest at a tiny size', () => {
  it('runs every phase against real servers without a failed request', {
    timeout: 120_000,
  }, async () => {
    const report = await runIngestBench({ serverUrl: postgresServerUrl(), sizes: TINY });
    expect(report.rows.map((r) => [r.name, r.result.requests, r.result.failures])).toEqual([
      ['POST /v1/usage, 10,000-event bodies, 4 clients', TINY.restBodies, 0],
      ['recordUsageBatch, 1,000-event batches, 4 clients', TINY.graphqlBatches, 0],
      ['recordUsage, single events, 50 connections', TINY.singleEvents, 0],
      ['checkQuota, 50 connections', TINY.quotaChecks, 0],
    ]);
    expect(report.bareYoga.failures).toBe(0);
    expect(report.raw.events).toBe(TINY.restBodies * TINY.restEventsPerBody);
    expect(formatReport(report)).toContain('checkQuota / bare Yoga');
  });
});

describe('bench:fanout at a tiny size', () => {
  it('delivers every change to every subscriber, on both servers', {
    timeout: 120_000,
  }, async () => {
    const results = await runFanoutBench({ serverUrl: postgresServerUrl(), sizes: TINY_FANOUT });
    expect(results.map((r) => r.subscribers)).toEqual([40, 40, 40, 40]);
    // Spread: every change reaches the 10 subscribers of its organization, on both servers.
    const spreadChanges = TINY_FANOUT.changesPerSecond * TINY_FANOUT.seconds;
    expect(results[0]?.messages).toBeGreaterThanOrEqual(spreadChanges * 10 * 0.9);
    expect(results[1]?.messages).toBeGreaterThanOrEqual(spreadChanges * 10 * 0.9);
    expect(formatFanout(results)).toContain('per subscriber');
  });
});

describe('bench:invoices at a tiny size', () => {
  it('invoices every organization, then pushes every invoice to the rate-limited fake', {
    timeout: 120_000,
  }, async () => {
    const report = await runInvoiceBench({ serverUrl: postgresServerUrl(), sizes: TINY_INVOICES });
    expect(report.raw.organizations).toBe(TINY_INVOICES.organizations);
    expect(report.ledger.report.created).toBe(TINY_INVOICES.organizations);
    expect(report.stripe.report.created).toBe(TINY_INVOICES.stripeOrganizations);
    expect(report.stripe.report.pushed).toBe(TINY_INVOICES.stripeOrganizations);
    expect(report.stripe.report.failed).toEqual([]);
    expect(formatInvoiceReport(report)).toContain('projected');
  });
});

describe('bench:entitlements at a tiny size', () => {
  it('checks against real servers and their baselines without a failed request', {
    timeout: 120_000,
  }, async () => {
    const report = await runEntitlementBench({
      serverUrl: postgresServerUrl(),
      sizes: TINY_ENTITLEMENTS,
    });
    for (const result of [report.rest, report.bareHttp, report.graphql, report.bareYoga]) {
      expect([result.requests, result.failures]).toEqual([TINY_ENTITLEMENTS.requests, 0]);
    }
    expect(formatEntitlementReport(report)).toContain('REST / bare node:http rate');
  });
});
