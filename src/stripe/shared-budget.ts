import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import type { Budget } from './budget.ts';

/**
 * The Stripe request budget kept in Redis, so that every instance of a deployment draws from the
 * one budget Stripe enforces per account. Why Redis rather than Postgres, which every instance
 * shares too: the budget is read and written on every Stripe request (up to 100 a second), as
 * one atomic step over two counters (overall and endpoint) on a clock all instances agree on.
 * A Lua script does that in one round trip, on Redis's own clock (TIME), in memory. In Postgres
 * it would be a row lock and a WAL-logged update per request on one hot row, competing with the
 * billing transactions for the pool (and PGlite is single-process anyway). REDIS_URL is already
 * the deployment's cross-instance channel (live events).
 *
 * Budgets are GCRA counters ("theoretical arrival time"): a request may go when each of its
 * budgets' TAT is not in the future; it then moves each TAT one interval on. Nothing is reserved
 * ahead, so a request waiting for a busy endpoint never holds back requests to other endpoints.
 */
const TAKE = `
-- Redis before 5 replicates scripts verbatim and refuses writes after TIME unless told so.
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local budgets = #KEYS - 1
local wait = 0
local tats = {}
for i = 1, budgets do
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  if tat < now then tat = now end
  tats[i] = tat
  if tat - now > wait then wait = tat - now end
end
local instances = KEYS[budgets + 1]
redis.call('ZADD', instances, now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', instances, '-inf', now - tonumber(ARGV[2]))
redis.call('PEXPIRE', instances, tonumber(ARGV[2]) * 2)
local seen = redis.call('ZCARD', instances)
if wait > 0 then return {0, tostring(wait), seen} end
for i = 1, budgets do
  local interval = tonumber(ARGV[i + 2])
  redis.call('SET', KEYS[i], tostring(tats[i] + interval), 'PX', math.ceil(interval) + 10000)
end
return {1, '0', seen}
`;

/** A command Redis does not answer in this time counts as failed: the request goes local. */
const COMMAND_TIMEOUT_MS = 250;
/** After a failure, this long without asking Redis (no 250 ms wait per request in an outage). */
const BACKOFF_AFTER_FAILURE_MS = 1_000;
/** At start, how long a request waits for the first connection before going local. */
const FIRST_CONNECTION_WAIT_MS = 1_000;
/** An instance that took from the budget within this window counts as one sharing it. */
const INSTANCE_WINDOW_MS = 15_000;
const QUIT_TIMEOUT_MS = 1_000;

type Answer = [admitted: number, wait: string, instances: number];

export class SharedBudget {
  readonly #redis: Redis;
  readonly #log: Logger | undefined;
  readonly #prefix: string;
  readonly #instance = `${process.pid}:${Math.random().toString(36).slice(2, 10)}`;
  readonly #startedAt = performance.now();
  #everReady = false;
  #skipUntil = 0;
  #downSince: number | null = null;
  /** Instances that drew from the budget lately, as Redis last said (1 until it said). */
  instances = 1;

  /**
   * `scope`: what the budget belongs to. Keys are named after a hash of it (the secret key: one
   * budget per Stripe account and mode), never the secret itself.
   */
  constructor(url: string, scope: string, log?: Logger) {
    this.#log = log;
    const hash = createHash('sha256').update(scope).digest('hex').slice(0, 16);
    // One hash tag: every key of a budget lives in the same slot (Redis Cluster).
    this.#prefix = `stripe-pacing:{${hash}}:`;
    this.#redis = new Redis(url, {
      // Nothing queues while Redis is away: a request goes local at once instead of piling up
      // takes that would all land, stale, on reconnection.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: 2_000,
      retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
    });
    this.#redis.defineCommand('takeStripeBudget', { lua: TAKE });
    this.#redis.on('ready', () => {
      this.#everReady = true;
      this.#skipUntil = 0;
      if (this.#downSince !== null) {
        this.#log?.info(
          { downForMs: Math.round(performance.now() - this.#downSince) },
          'Stripe pacing shared again through Redis',
        );
        this.#downSince = null;
      }
    });
    this.#redis.on('error', (error) => this.#down(error));
  }

  /** Whether to ask Redis now; at start, waits (bounded) for the first connection. */
  async usable(): Promise<boolean> {
    if (this.#redis.status === 'ready') return performance.now() >= this.#skipUntil;
    const left = this.#startedAt + FIRST_CONNECTION_WAIT_MS - performance.now();
    if (this.#everReady || left <= 0 || this.#redis.status === 'end') return false;
    let timer: NodeJS.Timeout | undefined;
    let onReady: (() => void) | undefined;
    await new Promise<void>((resolve) => {
      onReady = resolve;
      timer = setTimeout(resolve, left);
      this.#redis.once('ready', onReady);
    });
    clearTimeout(timer);
    if (onReady) this.#redis.off('ready', onReady);
    return this.#ready();
  }

  /** 0 when the request may go now (it is counted), else how many ms to wait. Rejects on failure. */
  async take(budgets: Budget[]): Promise<number> {
    const keys = [
      ...budgets.map((budget) => this.#prefix + budget.key),
      `${this.#prefix}instances`,
    ];
    const args = [this.#instance, INSTANCE_WINDOW_MS, ...budgets.map((budget) => budget.interval)];
    try {
      const [admitted, wait, instances] = (await (
        this.#redis as unknown as {
          takeStripeBudget(n: number, ...rest: (string | number)[]): Promise<Answer>;
        }
      ).takeStripeBudget(keys.length, ...keys, ...args)) as Answer;
      this.instances = Math.max(1, instances);
      return admitted === 1 ? 0 : Math.max(Number(wait), 0.001);
    } catch (error) {
      this.#skipUntil = performance.now() + BACKOFF_AFTER_FAILURE_MS;
      this.#down(error);
      throw error;
    }
  }

  #ready(): boolean {
    return this.#redis.status === 'ready';
  }

  /** QUIT when Redis answers (bounded), else just close: a dead Redis never holds shutdown. */
  async close(): Promise<void> {
    if (this.#redis.status === 'ready') {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        // Off the list of instances sharing the budget: the others' fallback share grows back.
        this.#redis
          .zrem(`${this.#prefix}instances`, this.#instance)
          .then(() => this.#redis.quit())
          .catch(() => {}),
        new Promise((resolve) => {
          timer = setTimeout(resolve, QUIT_TIMEOUT_MS);
        }),
      ]);
      clearTimeout(timer);
    }
    if (this.#redis.status !== 'end') this.#redis.disconnect();
  }

  /** Logged once per outage, never per request or reconnect attempt. */
  #down(error: unknown): void {
    if (this.#downSince !== null) return;
    this.#downSince = performance.now();
    this.#log?.warn(
      { err: error, instances: this.instances },
      'Stripe pacing degraded: Redis unreachable, this instance paces alone to its share of the budget; reconnecting',
    );
  }
}
