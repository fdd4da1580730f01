import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

describe('configuration', () => {
  it('has working defaults: embedded database in ./.data on port 4000', () => {
    const config = loadConfig({});
    expect(config.server.port).toBe(4000);
    expect(config.database).toEqual({ driver: 'pglite', dataDir: './.data' });
    expect(Object.isFrozen(config.server)).toBe(true);
  });

  it('uses the Postgres server when DATABASE_URL is set', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u@db:5432/billing' });
    expect(config.database).toMatchObject({
      driver: 'postgres',
      url: 'postgres://u@db:5432/billing',
    });
  });

  it('names every invalid variable at once', () => {
    try {
      loadConfig({ PORT: 'abc', LOG_LEVEL: 'loud', BOOTSTRAP_ADMIN_KEY: 'short' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/^PORT: /m);
      expect(problems).toMatch(/^LOG_LEVEL: /m);
      expect(problems).toMatch(/^BOOTSTRAP_ADMIN_KEY: must be at least 24 characters/m);
      // The value of a secret is never echoed.
      expect(problems).not.toContain('short');
    }
  });

  it('makes the server exit non-zero naming the variable (PORT=abc)', () => {
    const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
    const result = spawnSync(process.execPath, [main], {
      env: { PATH: process.env.PATH, PORT: 'abc' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Invalid configuration');
    expect(result.stderr).toMatch(/PORT: /);
  });
});
