import { afterEach, describe, expect, it } from 'vitest';
import {
  createPgliteDirectory,
  createPostgresDatabase,
  type ScratchDatabase,
} from './support/database.ts';
import { gql } from './support/graphql.ts';
import { startTestServer } from './support/server.ts';

const CATALOG = `{ plans { id key quotas { meter { key } included } } meters { key } }`;

describe.each([
  ['an empty PGlite directory', createPgliteDirectory],
  ['a fresh Postgres database', createPostgresDatabase],
])('starting on %s', (_label, createStorage) => {
  let storage: ScratchDatabase | undefined;
  afterEach(async () => {
    await storage?.drop();
    storage = undefined;
  });

  it('migrates, seeds the catalog, creates an ADMIN key; starting again changes nothing', async () => {
    storage = await createStorage();
    // No BOOTSTRAP_ADMIN_KEY: the server makes an ADMIN key and hands it over once.
    const first = await startTestServer({ BOOTSTRAP_ADMIN_KEY: '' }, storage);
    let catalogBefore: unknown;
    try {
      expect(first.generatedAdminKey).toMatch(/^bsk_[0-9A-Za-z]{40}$/);
      const ready = await fetch(`${first.url}/readyz`);
      expect(ready.status).toBe(200);

      const viewer = await gql(first.graphqlUrl, '{ viewer { role organization { id } } }', {
        key: first.generatedAdminKey,
      });
      expect(viewer.data).toEqual({ viewer: { role: 'ADMIN', organization: null } });

      const catalog = await gql(first.graphqlUrl, CATALOG);
      expect(catalog.data?.plans.map((p: { key: string }) => p.key)).toEqual([
        'free',
        'starter',
        'growth',
        'scale',
      ]);
      expect(catalog.data?.meters.map((m: { key: string }) => m.key).sort()).toEqual([
        'api_requests',
        'bandwidth_gb',
        'seats',
        'storage_gb',
      ]);
      catalogBefore = catalog.data;
    } finally {
      await first.stop();
    }

    const second = await startTestServer({ BOOTSTRAP_ADMIN_KEY: '' }, storage);
    try {
      expect(second.generatedAdminKey).toBeUndefined();
      // Same rows, same ids: nothing re-seeded.
      expect((await gql(second.graphqlUrl, CATALOG)).data).toEqual(catalogBefore);
      // The key made on the first start still works.
      const viewer = await gql(second.graphqlUrl, '{ viewer { role } }', {
        key: first.generatedAdminKey,
      });
      expect(viewer.data).toEqual({ viewer: { role: 'ADMIN' } });
    } finally {
      await second.stop();
    }
  });

  it('makes BOOTSTRAP_ADMIN_KEY the ADMIN key instead of generating one', async () => {
    storage = await createStorage();
    const key = 'bsk_bootstrap_key_for_a_scripted_setup_42';
    const server = await startTestServer({ BOOTSTRAP_ADMIN_KEY: key }, storage);
    try {
      expect(server.generatedAdminKey).toBeUndefined();
      const viewer = await gql(server.graphqlUrl, '{ viewer { role } }', { key });
      expect(viewer.data).toEqual({ viewer: { role: 'ADMIN' } });
    } finally {
      await server.stop();
    }
  });
});

describe('several instances starting at once on one Postgres database', () => {
  it('take turns: both serve, the catalog is seeded once', async () => {
    const storage = await createPostgresDatabase();
    try {
      const servers = await Promise.all([
        startTestServer({}, storage),
        startTestServer({}, storage),
      ]);
      try {
        const [a, b] = await Promise.all(servers.map((s) => gql(s.graphqlUrl, '{ plans { id } }')));
        expect(a?.data?.plans).toHaveLength(4);
        expect(b?.data).toEqual(a?.data);
      } finally {
        await Promise.all(servers.map((s) => s.stop()));
      }
    } finally {
      await storage.drop();
    }
  });
});

describe('an embedded data directory', () => {
  it('is held by one process: a second server on it fails with a message that says so', async () => {
    const storage = await createPgliteDirectory();
    const server = await startTestServer({}, storage);
    try {
      await expect(startTestServer({}, storage)).rejects.toThrow(/in use by another process/);
    } finally {
      await server.stop();
      await storage.drop();
    }
  });
});
