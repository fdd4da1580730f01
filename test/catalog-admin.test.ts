import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createIsolatedStorage,
  createPgliteDirectory,
  type ScratchDatabase,
} from './support/database.ts';
import { createOrganization } from './support/fixtures.ts';
import { gql } from './support/graphql.ts';
import { runCli } from './support/process.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { record, uniqueKey } from './support/usage.ts';

// The catalog is global: this file runs on a database of its own.
let storage: ScratchDatabase;
let server: TestServer;
beforeAll(async () => {
  storage = await createIsolatedStorage();
  server = await startTestServer({}, storage);
});
afterAll(async () => {
  await server?.stop();
  await storage?.drop();
});

const admin = (query: string, variables?: Record<string, unknown>) =>
  gql(server.graphqlUrl, query, { key: server.adminKey, ...(variables ? { variables } : {}) });

const CREATE_METER = `mutation ($input: MeterInput!) {
  createMeter(input: $input) {
    __typename
    ... on MeterSuccess { meter { key name unit aggregation } }
    ... on ValidationError { message fieldErrors { path message } }
  }
}`;

const CREATE_FEATURE = `mutation ($input: FeatureInput!) {
  createFeature(input: $input) {
    __typename
    ... on FeatureSuccess { feature { key name description } }
    ... on ValidationError { message fieldErrors { path message } }
  }
}`;

const PLAN_FIELDS = `key version name description active trialDays features
  basePrice { amount currency formatted }
  prices { interval amount { amount formatted } }
  quotas { meter { key } included mode overageUnitPrice overageTiers { upTo unitPrice } }
  entitlements { feature { key name } value }`;

const PUBLISH = `mutation ($input: PlanInput!) {
  publishPlan(input: $input) {
    __typename
    ... on PublishPlanSuccess { changed plan { ${PLAN_FIELDS} } }
    ... on ValidationError { message fieldErrors { path message } }
    ... on NotFoundError { message }
  }
}`;

const ARCHIVE = `mutation ($key: String!) {
  archivePlan(key: $key) {
    __typename
    ... on PublishPlanSuccess { changed plan { key version active } }
    ... on NotFoundError { message }
  }
}`;

/** A chat product's "team" plan: $25 a month, messages with overage, a limited feature. */
function teamPlan(amount: string, overrides: Record<string, unknown> = {}) {
  return {
    key: 'team',
    name: 'Team',
    description: 'For growing teams',
    prices: [{ interval: 'MONTH', amount }],
    trialDays: 7,
    quotas: [
      { meter: 'messages', included: '10000', mode: 'OVERAGE', overageUnitPrice: '0.002' },
      { meter: 'storage_mb', included: '5000', mode: 'HARD' },
    ],
    entitlements: [{ feature: 'message_history', value: { days: 90 } }, { feature: 'sso' }],
    ...overrides,
  };
}

async function subscriptionOf(key: string) {
  const response = await gql(server.graphqlUrl, '{ subscription { plan { key version } } }', {
    key,
  });
  return response.data?.subscription.plan;
}

describe('defining a catalog through GraphQL (ADMIN)', () => {
  it('creates meters and features, publishes versions that subscribers keep, archives', async () => {
    expect(
      (
        await admin(CREATE_METER, {
          input: { key: 'messages', name: 'Messages', unit: 'message', aggregation: 'SUM' },
        })
      ).data?.createMeter,
    ).toEqual({
      __typename: 'MeterSuccess',
      meter: { key: 'messages', name: 'Messages', unit: 'message', aggregation: 'SUM' },
    });
    await admin(CREATE_METER, {
      input: { key: 'storage_mb', name: 'Storage', unit: 'MB', aggregation: 'MAX' },
    });
    expect(
      (
        await admin(CREATE_FEATURE, {
          input: { key: 'message_history', name: 'Message history', description: 'How far back' },
        })
      ).data?.createFeature,
    ).toEqual({
      __typename: 'FeatureSuccess',
      feature: { key: 'message_history', name: 'Message history', description: 'How far back' },
    });

    const v1 = (await admin(PUBLISH, { input: teamPlan('2500') })).data?.publishPlan;
    expect(v1).toEqual({
      __typename: 'PublishPlanSuccess',
      changed: true,
      plan: {
        key: 'team',
        version: 1,
        name: 'Team',
        description: 'For growing teams',
        active: true,
        trialDays: 7,
        features: ['message_history', 'sso'],
        basePrice: { amount: '2500', currency: 'usd', formatted: '$25.00' },
        prices: [{ interval: 'MONTH', amount: { amount: '2500', formatted: '$25.00' } }],
        quotas: [
          {
            meter: { key: 'messages' },
            included: '10000',
            mode: 'OVERAGE',
            overageUnitPrice: '0.002',
            overageTiers: null,
          },
          {
            meter: { key: 'storage_mb' },
            included: '5000',
            mode: 'HARD',
            overageUnitPrice: null,
            overageTiers: null,
          },
        ],
        entitlements: [
          { feature: { key: 'message_history', name: 'Message history' }, value: { days: 90 } },
          { feature: { key: 'sso', name: 'Single sign-on (SSO)' }, value: null },
        ],
      },
    });
    const first = await createOrganization(server.graphqlUrl, server.adminKey, {
      planKey: 'team',
    });
    expect(await subscriptionOf(first.ownerKey)).toEqual({ key: 'team', version: 1 });

    // The same input again (quotas in another order, the value's keys too): nothing published.
    const again = await admin(PUBLISH, {
      input: teamPlan('2500', {
        quotas: [...teamPlan('2500').quotas].reverse(),
      }),
    });
    expect(again.data?.publishPlan).toMatchObject({ changed: false, plan: { version: 1 } });

    // A higher price is a new version; the first organization keeps what it was sold.
    const v2 = await admin(PUBLISH, { input: teamPlan('2900') });
    expect(v2.data?.publishPlan).toMatchObject({
      changed: true,
      plan: { version: 2, basePrice: { amount: '2900', formatted: '$29.00' } },
    });
    const second = await createOrganization(server.graphqlUrl, server.adminKey, {
      planKey: 'team',
    });
    expect(await subscriptionOf(second.ownerKey)).toEqual({ key: 'team', version: 2 });
    expect(await subscriptionOf(first.ownerKey)).toEqual({ key: 'team', version: 1 });
    const old = await admin(`{ plan(key: "team", version: 1) { version basePrice { amount } } }`);
    expect(old.data?.plan).toEqual({ version: 1, basePrice: { amount: '2500' } });

    // A new name only is written on the latest version: no version for what costs nothing.
    const renamed = await admin(PUBLISH, { input: teamPlan('2900', { name: 'Team (2027)' }) });
    expect(renamed.data?.publishPlan).toMatchObject({
      changed: true,
      plan: { version: 2, name: 'Team (2027)' },
    });

    // Archived: no longer listed nor sold; its subscribers keep it.
    expect((await admin(ARCHIVE, { key: 'team' })).data?.archivePlan).toEqual({
      __typename: 'PublishPlanSuccess',
      changed: true,
      plan: { key: 'team', version: 2, active: false },
    });
    expect((await admin(ARCHIVE, { key: 'team' })).data?.archivePlan.changed).toBe(false);
    const listed = await admin(
      '{ plans { key } all: plans(includeArchived: true) { key active } }',
    );
    expect(listed.data?.plans.map((p: { key: string }) => p.key)).not.toContain('team');
    expect(listed.data?.all).toContainEqual({ key: 'team', active: false });
    const refused = await createOrganization(server.graphqlUrl, server.adminKey, {
      planKey: 'team',
    }).catch((error: Error) => error);
    expect(refused).toBeInstanceOf(Error);
    expect(await subscriptionOf(first.ownerKey)).toEqual({ key: 'team', version: 1 });

    // Published again, it is sold again (same terms: still version 2).
    const back = await admin(PUBLISH, { input: teamPlan('2900', { name: 'Team (2027)' }) });
    expect(back.data?.publishPlan).toMatchObject({
      changed: true,
      plan: { version: 2, active: true },
    });
  });
});

describe('a version sold monthly and yearly', () => {
  const PRICES = `query ($key: String!) { plan(key: $key) {
    version interval basePrice { amount } prices { interval amount { amount formatted } }
  } }`;

  it('keeps one price per interval; basePrice is the monthly one, else the only one', async () => {
    // $8 a month or $80 a year.
    const both = await admin(PUBLISH, {
      input: teamPlan('800', {
        key: 'chat_plus',
        prices: [
          { interval: 'YEAR', amount: '8000' },
          { interval: 'MONTH', amount: '800' },
        ],
      }),
    });
    expect(both.data?.publishPlan.__typename).toBe('PublishPlanSuccess');
    expect((await admin(PRICES, { key: 'chat_plus' })).data?.plan).toEqual({
      version: 1,
      interval: 'MONTH',
      basePrice: { amount: '800' },
      prices: [
        { interval: 'MONTH', amount: { amount: '800', formatted: '$8.00' } },
        { interval: 'YEAR', amount: { amount: '8000', formatted: '$80.00' } },
      ],
    });
    // The same prices in another order change nothing; a new yearly price is a new version.
    const same = await admin(PUBLISH, {
      input: teamPlan('800', {
        key: 'chat_plus',
        prices: [
          { interval: 'MONTH', amount: '800' },
          { interval: 'YEAR', amount: '8000' },
        ],
      }),
    });
    expect(same.data?.publishPlan).toMatchObject({ changed: false, plan: { version: 1 } });
    const cheaper = await admin(PUBLISH, {
      input: teamPlan('800', {
        key: 'chat_plus',
        prices: [
          { interval: 'MONTH', amount: '800' },
          { interval: 'YEAR', amount: '7900' },
        ],
      }),
    });
    expect(cheaper.data?.publishPlan).toMatchObject({ changed: true, plan: { version: 2 } });

    const yearlyOnly = await admin(PUBLISH, {
      input: teamPlan('0', { key: 'annual', prices: [{ interval: 'YEAR', amount: '120000' }] }),
    });
    expect(yearlyOnly.data?.publishPlan.__typename).toBe('PublishPlanSuccess');
    expect((await admin(PRICES, { key: 'annual' })).data?.plan).toMatchObject({
      interval: 'YEAR',
      basePrice: { amount: '120000' },
      prices: [{ interval: 'YEAR', amount: { amount: '120000', formatted: '$1,200.00' } }],
    });
  });
});

describe('what the catalog refuses', () => {
  const fieldErrors = (result: { fieldErrors?: { path: string[]; message: string }[] }) =>
    result.fieldErrors?.map((e) => e.path.join('.'));

  it('refuses unknown references, duplicates, bad keys and an OVERAGE quota without a price', async () => {
    const unknown = await admin(PUBLISH, {
      input: teamPlan('100', {
        key: 'unknown_refs',
        quotas: [{ meter: 'no_such_meter', included: '1', mode: 'HARD' }],
        entitlements: [{ feature: 'no_such_feature' }],
      }),
    });
    expect(unknown.data?.publishPlan.__typename).toBe('ValidationError');
    expect(fieldErrors(unknown.data?.publishPlan)).toEqual([
      'input.quotas.0.meter',
      'input.entitlements.0.feature',
    ]);

    const duplicate = await admin(PUBLISH, {
      input: teamPlan('100', {
        key: 'duplicates',
        quotas: [
          { meter: 'api_requests', included: '1', mode: 'HARD' },
          { meter: 'api_requests', included: '2', mode: 'HARD' },
        ],
      }),
    });
    expect(fieldErrors(duplicate.data?.publishPlan)).toEqual(['input.quotas.1.meter']);

    const badKey = await admin(CREATE_METER, {
      input: { key: 'API Requests', name: 'x', unit: 'x', aggregation: 'SUM' },
    });
    expect(badKey.data?.createMeter).toMatchObject({
      __typename: 'ValidationError',
      fieldErrors: [
        {
          path: ['input', 'key'],
          message: 'must be lower-case letters, digits and underscores, starting with a letter',
        },
      ],
    });

    const unpriced = await admin(PUBLISH, {
      input: teamPlan('100', {
        key: 'unpriced',
        quotas: [{ meter: 'api_requests', included: '1000', mode: 'OVERAGE' }],
        entitlements: [],
      }),
    });
    expect(fieldErrors(unpriced.data?.publishPlan)).toEqual(['input.quotas.0.overageUnitPrice']);

    const twoYears = await admin(PUBLISH, {
      input: teamPlan('100', {
        key: 'yearly',
        prices: [
          { interval: 'YEAR', amount: '10000' },
          { interval: 'YEAR', amount: '9000' },
        ],
        entitlements: [],
        quotas: [],
      }),
    });
    expect(fieldErrors(twoYears.data?.publishPlan)).toEqual(['input.prices.1.interval']);

    // Nothing of any refused plan was published.
    const keys = (await admin('{ plans(includeArchived: true) { key } }')).data?.plans.map(
      (p: { key: string }) => p.key,
    );
    for (const key of ['unknown_refs', 'duplicates', 'unpriced', 'yearly']) {
      expect(keys).not.toContain(key);
    }
    expect((await admin(ARCHIVE, { key: 'no_such_plan' })).data?.archivePlan).toEqual({
      __typename: 'NotFoundError',
      message: 'Plan not found',
    });
  });

  it("keeps a meter's aggregation once it has events, and changes it before", async () => {
    const meter = { key: 'exports', name: 'Exports', unit: 'export', aggregation: 'SUM' };
    await admin(CREATE_METER, { input: meter });
    const early = await admin(CREATE_METER, { input: { ...meter, aggregation: 'COUNT' } });
    expect(early.data?.createMeter).toMatchObject({ meter: { aggregation: 'COUNT' } });

    await admin(CREATE_FEATURE, { input: { key: 'exports_feature', name: 'Exports' } });
    await admin(PUBLISH, {
      input: {
        key: 'exporter',
        name: 'Exporter',
        prices: [{ interval: 'MONTH', amount: '0' }],
        quotas: [{ meter: 'exports', included: null, mode: 'SOFT' }],
      },
    });
    const org = await createOrganization(server.graphqlUrl, server.adminKey, {
      planKey: 'exporter',
    });
    await record(server.graphqlUrl, org.ownerKey, {
      meter: 'exports',
      quantity: '1',
      idempotencyKey: uniqueKey('export'),
    });

    const late = await admin(CREATE_METER, { input: { ...meter, aggregation: 'MAX' } });
    expect(late.data?.createMeter).toMatchObject({
      __typename: 'ValidationError',
      fieldErrors: [{ path: ['input', 'aggregation'] }],
    });
    const renamed = await admin(CREATE_METER, {
      input: { ...meter, name: 'Data exports', aggregation: 'COUNT' },
    });
    expect(renamed.data?.createMeter).toMatchObject({
      meter: { name: 'Data exports', aggregation: 'COUNT' },
    });
  });

  it('answers FORBIDDEN to every catalog mutation for a non-ADMIN key', async () => {
    const org = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: 'free' });
    const attempts: [string, Record<string, unknown>][] = [
      [CREATE_METER, { input: { key: 'sneaky', name: 'x', unit: 'x', aggregation: 'SUM' } }],
      [CREATE_FEATURE, { input: { key: 'sneaky', name: 'x' } }],
      [PUBLISH, { input: teamPlan('1', { key: 'sneaky', quotas: [], entitlements: [] }) }],
      [ARCHIVE, { key: 'free' }],
    ];
    for (const [query, variables] of attempts) {
      const answer = await gql(server.graphqlUrl, query, { key: org.ownerKey, variables });
      expect(answer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const features = (await admin('{ features { key } meters { key } plans { key } }')).data;
    expect(features?.features.map((f: { key: string }) => f.key)).not.toContain('sneaky');
    expect(features?.meters.map((m: { key: string }) => m.key)).not.toContain('sneaky');
    expect(features?.plans.map((p: { key: string }) => p.key)).toContain('free');
  });
});

describe('a catalog file (CATALOG_FILE)', () => {
  it('gives a fresh database its catalog once, never over an existing one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'catalog-'));
    const file = join(dir, 'catalog.json');
    await writeFile(
      file,
      JSON.stringify({
        meters: [{ key: 'tokens', name: 'Tokens', unit: 'token', aggregation: 'SUM' }],
        features: [{ key: 'api_access', name: 'API access' }],
        plans: [
          {
            key: 'free',
            name: 'Free',
            prices: [{ interval: 'MONTH', amount: 0 }],
            quotas: [{ meter: 'tokens', included: '1000', mode: 'HARD' }],
          },
          {
            key: 'api',
            name: 'API',
            prices: [{ interval: 'MONTH', amount: '1500' }],
            quotas: [
              {
                meter: 'tokens',
                included: '1000000',
                mode: 'OVERAGE',
                overageTiers: [
                  { upTo: '5000000', unitPrice: '0.00001' },
                  { upTo: null, unitPrice: '0.000005' },
                ],
              },
            ],
            entitlements: [{ feature: 'api_access', value: { rpm: 600 } }],
          },
        ],
      }),
    );
    const own = await createIsolatedStorage();
    const first = await startTestServer({ CATALOG_FILE: file }, own);
    try {
      const catalog = await gql(
        first.graphqlUrl,
        '{ plans { key basePrice { amount } } meters { key } }',
      );
      expect(catalog.data).toEqual({
        plans: [
          { key: 'free', basePrice: { amount: '0' } },
          { key: 'api', basePrice: { amount: '1500' } },
        ],
        meters: [{ key: 'tokens' }],
      });
    } finally {
      await first.stop();
    }
    // Edited and started again: the database has a catalog, so the file is not applied.
    await writeFile(file, JSON.stringify({ meters: [], features: [], plans: [] }));
    const second = await startTestServer({ CATALOG_FILE: file }, own);
    try {
      const plans = await gql(second.graphqlUrl, '{ plans { key } }');
      expect(plans.data?.plans).toEqual([{ key: 'free' }, { key: 'api' }]);
    } finally {
      await second.stop();
      await own.drop();
    }
  });
});

describe('the catalog as code (npm run cli -- catalog export | diff | apply)', () => {
  it('exports, reproduces on an empty database, applies idempotently and diffs exactly the edits', {
    timeout: 120_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'catalog-cli-'));
    // An operator's own catalog, applied to a database A (the default one is archived).
    const own = join(dir, 'own.json');
    await writeFile(
      own,
      JSON.stringify({
        meters: [{ key: 'messages', name: 'Messages', unit: 'message', aggregation: 'SUM' }],
        features: [{ key: 'history', name: 'Message history' }],
        plans: [
          {
            key: 'free',
            name: 'Free',
            prices: [{ interval: 'MONTH', amount: '0' }],
            quotas: [{ meter: 'messages', included: '1000', mode: 'HARD' }],
          },
          {
            key: 'starter',
            name: 'Starter',
            prices: [{ interval: 'MONTH', amount: '800' }],
            quotas: [
              { meter: 'messages', included: '50000', mode: 'OVERAGE', overageUnitPrice: '0.001' },
            ],
            entitlements: [{ feature: 'history', value: { days: 30 } }],
          },
          {
            key: 'growth',
            name: 'Growth',
            prices: [{ interval: 'MONTH', amount: '2500' }],
            quotas: [{ meter: 'messages', included: null, mode: 'SOFT' }],
            entitlements: [{ feature: 'history', value: { days: 365 } }],
          },
        ],
      }),
    );
    const a = await createPgliteDirectory();
    const b = await createPgliteDirectory();
    try {
      const first = await runCli(['catalog', 'apply', own], a.env);
      expect(first.code).toBe(0);
      expect(first.stdout.trim().split('\n')).toEqual([
        'meter messages',
        'feature history',
        'plan free v2',
        'plan starter v2',
        'plan growth v2',
        'archive scale',
      ]);
      const exported = await runCli(['catalog', 'export'], a.env);
      expect(exported.code).toBe(0);
      const catalog = JSON.parse(exported.stdout);
      expect(catalog.plans.map((p: { key: string }) => p.key)).toEqual([
        'free',
        'growth',
        'starter',
      ]);
      const file = join(dir, 'catalog.json');
      await writeFile(file, exported.stdout);

      // Applied to another new database B, the exported file reproduces A's catalog.
      const applied = await runCli(['catalog', 'apply', file], b.env);
      expect(applied.code).toBe(0);
      const again = await runCli(['catalog', 'export'], b.env);
      expect(JSON.parse(again.stdout)).toEqual(catalog);
      const twice = await runCli(['catalog', 'apply', file], b.env);
      expect(twice.stdout.trim()).toBe('no changes');

      // Edited: starter costs $9, a new feature, growth no longer sold.
      const edited = structuredClone(catalog);
      edited.features.push({ key: 'audit_log', name: 'Audit log' });
      const starter = edited.plans.find((p: { key: string }) => p.key === 'starter');
      starter.prices = [{ interval: 'MONTH', amount: '900' }];
      edited.plans = edited.plans.filter((p: { key: string }) => p.key !== 'growth');
      const editedFile = join(dir, 'edited.json');
      await writeFile(editedFile, JSON.stringify(edited));
      const diff = await runCli(['catalog', 'diff', editedFile], b.env);
      expect(diff.code).toBe(0);
      expect(diff.stdout.trim().split('\n')).toEqual([
        'feature audit_log',
        'plan starter v3 (0 subscribers)',
        'archive growth (0 subscribers)',
      ]);
      // A diff changes nothing.
      expect((await runCli(['catalog', 'diff', editedFile], b.env)).stdout).toBe(diff.stdout);

      const bad = join(dir, 'bad.json');
      await writeFile(
        bad,
        JSON.stringify({ plans: [{ key: 'Bad Key', name: 'x', prices: [], quotas: [] }] }),
      );
      const refused = await runCli(['catalog', 'diff', bad], b.env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('plans.0.key');
      expect(refused.stderr).toContain('plans.0.prices');
      // A reference to a meter the file does not define is reported at its entry.
      const dangling = structuredClone(catalog);
      dangling.plans[1].quotas[0].meter = 'sms';
      const danglingFile = join(dir, 'dangling.json');
      await writeFile(danglingFile, JSON.stringify(dangling));
      const unknown = await runCli(['catalog', 'diff', danglingFile], b.env);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain(
        'plans.1.quotas.0.meter: unknown meter "sms"; define it with createMeter',
      );
    } finally {
      await a.drop();
      await b.drop();
    }
  });
});
