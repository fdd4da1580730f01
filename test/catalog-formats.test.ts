import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { catalogFileSchema } from '../src/resolvers/catalog/catalog-file.ts';
import { catalogJsonSchema } from '../src/resolvers/catalog/catalog-formats.ts';
import { createPgliteDirectory } from './support/database.ts';
import { createKey, createOrganization } from './support/fixtures.ts';
import { gql } from './support/graphql.ts';
import { runCli } from './support/process.ts';
import { startTestServer } from './support/server.ts';
import { recordBatch, uniqueKey } from './support/usage.ts';

const path = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));
const read = (relative: string) => readFileSync(path(relative), 'utf8');

const EXAMPLES = {
  yaml: path('../examples/catalogs/platform-tiers.yaml'),
  ts: path('../examples/catalogs/chat.ts'),
  json: path('../examples/catalogs/usage-only.json'),
};

describe('catalog/catalog.schema.json', () => {
  it('is what the code prints (run `npm run schema:print` after changing the catalog input)', () => {
    expect(read('../catalog/catalog.schema.json')).toBe(
      `${JSON.stringify(catalogJsonSchema(catalogFileSchema), null, 2)}\n`,
    );
  });

  it('accepts the example and default catalogs and flags what the server refuses', () => {
    const validate = new Ajv2020({ strict: false, allErrors: true }).compile(
      JSON.parse(read('../catalog/catalog.schema.json')),
    );
    for (const file of [EXAMPLES.json, path('../catalog/default.json')]) {
      expect(
        validate(JSON.parse(readFileSync(file, 'utf8'))),
        JSON.stringify(validate.errors),
      ).toBe(true);
    }
    expect(validate(parseYaml(readFileSync(EXAMPLES.yaml, 'utf8')))).toBe(true);
    // An editor marks a bad key and an amount with a decimal point, as the server would.
    expect(
      validate({
        plans: [
          {
            key: 'Pro Plan',
            name: 'Pro',
            prices: [{ interval: 'MONTH', amount: '19.90' }],
            quotas: [],
          },
        ],
      }),
    ).toBe(false);
    expect(validate.errors?.map((error) => error.instancePath)).toEqual(
      expect.arrayContaining(['/plans/0/key', '/plans/0/prices/0/amount']),
    );
  });
});

describe('the example catalogs in examples/catalogs', () => {
  it('start a fresh server as YAML: platform tiers at $49, $199 and $799, the deal unlisted', async () => {
    const storage = await createPgliteDirectory();
    const server = await startTestServer({ CATALOG_FILE: EXAMPLES.yaml }, storage);
    try {
      const { data } = await gql(
        server.graphqlUrl,
        '{ plans { key basePrice { formatted } entitlements { feature { key } value } } meters { key } }',
      );
      expect(data?.meters).toEqual([{ key: 'api_calls' }, { key: 'tenants' }]);
      expect(
        data?.plans.map((p: { key: string; basePrice: { formatted: string } }) => [
          p.key,
          p.basePrice.formatted,
        ]),
      ).toEqual([
        ['free', '$0.00'],
        ['starter', '$49.00'],
        ['pro', '$199.00'],
        ['scale', '$799.00'],
      ]);
      expect(data?.plans[2].entitlements).toEqual([
        { feature: { key: 'api_access' }, value: { rpm: 3000 } },
        { feature: { key: 'custom_branding' }, value: null },
        { feature: { key: 'sso' }, value: null },
        { feature: { key: 'token_gating' }, value: null },
      ]);
      const deal = await gql(
        server.graphqlUrl,
        '{ plan(key: "enterprise_acme") { private basePrice { formatted } } }',
        { key: server.adminKey },
      );
      expect(deal.data?.plan).toEqual({ private: true, basePrice: { formatted: '$2,500.00' } });
    } finally {
      await server.stop();
      await storage.drop();
    }
  });

  it('start a fresh server as JSON and bill usage alone: pay as you go', async () => {
    const storage = await createPgliteDirectory();
    const server = await startTestServer({ CATALOG_FILE: EXAMPLES.json }, storage);
    try {
      const org = await createOrganization(server.graphqlUrl, server.adminKey, {
        planKey: 'pay_as_you_go',
      });
      const ingest = await createKey(server.graphqlUrl, org.ownerKey, org.id, 'INGEST');
      const recorded = await recordBatch(server.graphqlUrl, ingest, [
        { meter: 'tokens', quantity: '12000000', idempotencyKey: uniqueKey() },
        ...[1, 2, 3].map(() => ({ meter: 'images', quantity: '1', idempotencyKey: uniqueKey() })),
      ]);
      expect(recorded.errors).toBeUndefined();
      const { data } = await gql(
        server.graphqlUrl,
        '{ upcomingInvoice { lineItems { kind amount { amount } } total { amount formatted } } }',
        { key: org.ownerKey },
      );
      // No base. Tokens, graduated: 10,000,000 × $0.000002 = $20.00, then 2,000,000 ×
      // $0.000001 = $2.00; images: 3 × $0.04 = $0.12. $22.12.
      expect(data?.upcomingInvoice.total).toEqual({ amount: '2212', formatted: '$22.12' });
    } finally {
      await server.stop();
      await storage.drop();
    }
  });

  it('apply as a TypeScript module (monthly and yearly prices); exported as YAML, it reproduces itself', {
    timeout: 120_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'catalog-formats-'));
    const a = await createPgliteDirectory();
    const b = await createPgliteDirectory();
    try {
      const applied = await runCli(['catalog', 'apply', EXAMPLES.ts], a.env);
      expect(applied.stderr).not.toContain('Invalid');
      expect(applied.stdout.trim().split('\n').sort()).toEqual(
        [
          'meter messages',
          'meter storage_mb',
          'feature history',
          'feature custom_emoji',
          'feature sso',
          'plan free v2',
          'plan plus v1',
          'plan pro v1',
          'plan business v1',
          'archive growth',
          'archive scale',
          'archive starter',
        ].sort(),
      );
      const yaml = await runCli(['catalog', 'export', '--format', 'yaml'], a.env);
      expect(yaml.code).toBe(0);
      const exported = parseYaml(yaml.stdout);
      expect(exported.plans.map((p: { key: string }) => p.key)).toEqual([
        'business',
        'free',
        'plus',
        'pro',
      ]);
      // $8 a month or $80 a year, in minor units.
      expect(exported.plans[2].prices).toEqual([
        { interval: 'MONTH', amount: '800' },
        { interval: 'YEAR', amount: '8000' },
      ]);
      const file = join(dir, 'catalog.yaml');
      await writeFile(file, yaml.stdout);
      expect((await runCli(['catalog', 'apply', file], b.env)).code).toBe(0);
      const [fromA, fromB] = await Promise.all([
        runCli(['catalog', 'export'], a.env),
        runCli(['catalog', 'export'], b.env),
      ]);
      expect(JSON.parse(fromB.stdout)).toEqual(JSON.parse(fromA.stdout));
      expect((await runCli(['catalog', 'apply', file], a.env)).stdout.trim()).toBe('no changes');
    } finally {
      await a.drop();
      await b.drop();
    }
  });
});
