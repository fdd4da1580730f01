import { resolve } from 'node:path';
import { z } from 'zod';
import { stripePacing } from './stripe/rate-limits.ts';

/**
 * The server's configuration: the only module that reads the environment. Every variable is
 * parsed at start, every problem is reported at once, and the result is frozen.
 */

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();

/** "https://a.example, http://localhost:5173" → each origin as browsers send it; `*` is refused. */
function originsOf(list: string, ctx: z.RefinementCtx): string[] {
  const origins: string[] = [];
  for (const entry of list.split(',').map((part) => part.trim())) {
    if (!entry) continue;
    const url = URL.canParse(entry) ? new URL(entry) : null;
    const bare =
      url && url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
    if (!url || !bare || !/^https?:$/.test(url.protocol)) {
      ctx.addIssue({
        code: 'custom',
        message: `"${entry}" is not an origin: list http(s)://host[:port] values, no paths or *`,
      });
      continue;
    }
    origins.push(url.origin);
  }
  return origins;
}

const serverEnv = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(4000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Upper bound of a GraphQL request body, in bytes. */
  MAX_BODY_BYTES: positiveInt.default(1024 * 1024),
  /** The built example dashboard, served at /dashboard (`npm run dashboard:build`). */
  DASHBOARD_DIR: z
    .string()
    .min(1)
    .default(resolve(import.meta.dirname, '../examples/dashboard/dist')),
  /** How long a shutdown waits for in-flight requests before closing connections. */
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(10_000),
  /**
   * Other origins whose pages may call /graphql from a browser, comma-separated
   * (https://app.example.com). Unset: none; the dashboard at /dashboard is the server's own origin.
   */
  CORS_ORIGINS: z
    .string()
    .transform((list, ctx) => originsOf(list, ctx))
    .default([]),
});

const graphqlEnv = z.object({
  GRAPHQL_MAX_DEPTH: positiveInt.default(12),
  // graphql-armor multiplies by `first`: 50 organizations × 12 invoices with their lines costs ~71,000.
  GRAPHQL_MAX_COST: positiveInt.default(100_000),
  GRAPHQL_MAX_ALIASES: positiveInt.default(15),
  GRAPHQL_MAX_TOKENS: positiveInt.default(2000),
  /** Answer introspection (`__schema`, `__type`); unset: everywhere but NODE_ENV=production. */
  GRAPHQL_INTROSPECTION: z.stringbool().optional(),
});

const databaseEnv = z.object({
  /** A Postgres server; unset means the embedded PGlite in DATA_DIR. */
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' })
    .optional(),
  DATA_DIR: z.string().min(1).default('./.data'),
  DATABASE_POOL_SIZE: positiveInt.default(10),
});

const usageEnv = z.object({
  /** How long after a period ends late events are still counted in it. */
  USAGE_GRACE_HOURS: z.coerce
    .number()
    .int()
    .min(0)
    .max(24 * 31)
    .default(48),
  /** Upper bound of a POST /v1/usage body, in bytes. */
  USAGE_MAX_BODY_BYTES: positiveInt.default(32 * 1024 * 1024),
  /** How long this process trusts its copy of an organization's quotas (0: not at all). */
  USAGE_TERMS_CACHE_MS: z.coerce.number().int().min(0).max(300_000).default(10_000),
  /** How long checkQuota trusts its copy of a period total written by another instance. */
  USAGE_TOTALS_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(2_000),
});

const jobsEnv = z.object({
  /** Run the background jobs (pg-boss) in this process. */
  JOBS_ENABLED: z.stringbool().default(true),
  /** How often an idle worker looks for jobs. */
  JOBS_POLL_SECONDS: z.coerce.number().min(0.5).max(60).default(2),
  /** The Postgres schema pg-boss keeps its queues in; every instance of a deployment shares it. */
  JOBS_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier')
    .default('pgboss'),
});

const liveEnv = z.object({
  /** Redis for live events across instances; unset means in-process only. */
  REDIS_URL: z
    .url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' })
    .optional(),
  /** usageUpdated sends at most one message per meter per this many milliseconds to a subscriber. */
  LIVE_USAGE_INTERVAL_MS: z.coerce.number().int().min(50).max(10_000).default(250),
  /** Operations one graphql-ws socket may have running at once (each costs memory and work). */
  WS_MAX_SUBSCRIPTIONS_PER_SOCKET: z.coerce.number().int().min(1).max(10_000).default(100),
  /** graphql-ws sockets one API key may hold open on an instance at once. */
  WS_MAX_SOCKETS_PER_KEY: z.coerce.number().int().min(1).max(10_000).default(50),
});

const alertsEnv = z.object({
  /** SMTP server for alert e-mails, e.g. smtp://user:pass@mail:587; unset keeps them in the outbox. */
  SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }).optional(),
  ALERT_EMAIL_FROM: z.string().min(3).default('Billing <billing@localhost>'),
  /** Attempts of one webhook delivery (and of one e-mail) before it is marked failed. */
  DELIVERY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(6),
  /** Delay before the first retry; each next retry waits about twice as long. */
  DELIVERY_RETRY_DELAY_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  /** How long a webhook receiver may take to answer. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** Non-public addresses webhooks may reach anyway (development, tests): IPs or CIDR ranges. */
  WEBHOOK_ALLOWED_PRIVATE_ADDRESSES: z
    .string()
    .transform((list) =>
      list
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(
        z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()], {
          error: 'must be IP addresses or CIDR ranges, comma-separated (e.g. 127.0.0.0/8,::1)',
        }),
      ),
    )
    .default([]),
});

const stripeEnv = z.object({
  /** Unset: ledger-only (no Stripe calls; checkout and portal answer BillingProviderError). */
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_/, 'must be a Stripe secret key (sk_...)')
    .optional(),
  /** Signing secret of the webhook endpoint (whsec_...); required with STRIPE_SECRET_KEY. */
  STRIPE_WEBHOOK_SECRET: z.string().min(8).optional(),
  /** Another Stripe-compatible server, e.g. http://127.0.0.1:12111 (the project's fake). */
  STRIPE_API_BASE: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  STRIPE_MAX_NETWORK_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
  STRIPE_TIMEOUT_MS: z.coerce.number().int().min(1000).max(120_000).default(20_000),
  /**
   * Pace of all requests to Stripe, every instance sharing REDIS_URL together; unset: 20 with a
   * test key, 80 with a live key (Stripe allows 25 and 100). See src/stripe/rate-limits.ts.
   */
  STRIPE_MAX_REQUESTS_PER_SECOND: z.coerce.number().int().min(1).max(1000).optional(),
  /** Pace of requests to any one Stripe endpoint (Stripe allows 25); unset: 20, see README. */
  STRIPE_MAX_REQUESTS_PER_SECOND_PER_ENDPOINT: z.coerce.number().int().min(1).max(1000).optional(),
  /**
   * Days a customer without a payment method has to pay an invoice Stripe e-mails (ADMIN
   * provisioning subscribes such a customer with collection_method=send_invoice).
   */
  STRIPE_INVOICE_DAYS_UNTIL_DUE: z.coerce.number().int().min(1).max(365).default(30),
  /** Failed payment attempts after which an organization falls back to the free plan. */
  DUNNING_MAX_FAILED_PAYMENTS: z.coerce.number().int().min(1).max(20).default(3),
});

const authEnv = z.object({
  /** Becomes an ADMIN key at start (for scripted setups and tests); never logged. */
  BOOTSTRAP_ADMIN_KEY: z
    .string()
    .min(24, 'must be at least 24 characters: it is a platform admin secret')
    .optional(),
  /** How long an authenticated key is remembered; a revoked key stops working within this. */
  AUTH_KEY_CACHE_MS: z.coerce.number().int().min(0).max(300_000).default(10_000),
  /** The catalog file a fresh database starts with; unset: catalog/default.json. */
  CATALOG_FILE: z.string().min(1).optional(),
});

const entitlementsEnv = z.object({
  /** How long past the paid period an entitlement token still verifies offline. */
  ENTITLEMENT_TOKEN_GRACE_HOURS: z.coerce
    .number()
    .int()
    .min(0)
    .max(24 * 90)
    .default(72),
  /** Days a signing key signs before a new one takes over (old keys keep verifying). */
  ENTITLEMENT_KEY_ROTATION_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  /** The tokens' `iss` and `aud`, which verifiers check. */
  ENTITLEMENT_TOKEN_ISSUER: z.string().min(1).max(200).default('graphql-billing-server'),
  ENTITLEMENT_TOKEN_AUDIENCE: z.string().min(1).max(200).default('entitlements'),
});

const envSchema = z.object({
  ...serverEnv.shape,
  ...graphqlEnv.shape,
  ...databaseEnv.shape,
  ...usageEnv.shape,
  ...jobsEnv.shape,
  ...liveEnv.shape,
  ...alertsEnv.shape,
  ...stripeEnv.shape,
  ...authEnv.shape,
  ...entitlementsEnv.shape,
});

export type Env = Record<string, string | undefined>;

const envSchemaWithRules = () =>
  envSchema.refine((env) => !env.STRIPE_SECRET_KEY || env.STRIPE_WEBHOOK_SECRET, {
    path: ['STRIPE_WEBHOOK_SECRET'],
    message: 'is required with STRIPE_SECRET_KEY (webhooks keep local state in sync)',
  });

function buildConfig(env: z.infer<typeof envSchema>) {
  return {
    server: {
      env: env.NODE_ENV,
      host: env.HOST,
      port: env.PORT,
      logLevel: env.LOG_LEVEL,
      maxBodyBytes: env.MAX_BODY_BYTES,
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
      dashboardDir: resolve(env.DASHBOARD_DIR),
      corsOrigins: env.CORS_ORIGINS,
    },
    graphql: {
      maxDepth: env.GRAPHQL_MAX_DEPTH,
      maxCost: env.GRAPHQL_MAX_COST,
      maxAliases: env.GRAPHQL_MAX_ALIASES,
      maxTokens: env.GRAPHQL_MAX_TOKENS,
      introspection: env.GRAPHQL_INTROSPECTION ?? env.NODE_ENV !== 'production',
    },
    database: env.DATABASE_URL
      ? { driver: 'postgres' as const, url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE }
      : { driver: 'pglite' as const, dataDir: env.DATA_DIR },
    usage: {
      graceMs: env.USAGE_GRACE_HOURS * 3_600_000,
      maxBodyBytes: env.USAGE_MAX_BODY_BYTES,
      /** Most events in one POST /v1/usage. */
      maxEventsPerRequest: 10_000,
      cache: { termsTtlMs: env.USAGE_TERMS_CACHE_MS, totalsTtlMs: env.USAGE_TOTALS_CACHE_MS },
    },
    jobs: {
      enabled: env.JOBS_ENABLED,
      pollingIntervalSeconds: env.JOBS_POLL_SECONDS,
      schema: env.JOBS_SCHEMA,
    },
    live: {
      redisUrl: env.REDIS_URL,
      usageIntervalMs: env.LIVE_USAGE_INTERVAL_MS,
      maxSubscriptionsPerSocket: env.WS_MAX_SUBSCRIPTIONS_PER_SOCKET,
      maxSocketsPerKey: env.WS_MAX_SOCKETS_PER_KEY,
    },
    alerts: {
      smtpUrl: env.SMTP_URL,
      emailFrom: env.ALERT_EMAIL_FROM,
      maxAttempts: env.DELIVERY_MAX_ATTEMPTS,
      retryDelaySeconds: env.DELIVERY_RETRY_DELAY_SECONDS,
      webhookTimeoutMs: env.WEBHOOK_TIMEOUT_MS,
      webhookAllowedPrivate: env.WEBHOOK_ALLOWED_PRIVATE_ADDRESSES,
    },
    stripe: env.STRIPE_SECRET_KEY
      ? {
          secretKey: env.STRIPE_SECRET_KEY,
          webhookSecret: env.STRIPE_WEBHOOK_SECRET as string,
          apiBase: env.STRIPE_API_BASE,
          maxNetworkRetries: env.STRIPE_MAX_NETWORK_RETRIES,
          timeoutMs: env.STRIPE_TIMEOUT_MS,
          pacing: stripePacing(env.STRIPE_SECRET_KEY, {
            perSecond: env.STRIPE_MAX_REQUESTS_PER_SECOND,
            perEndpointPerSecond: env.STRIPE_MAX_REQUESTS_PER_SECOND_PER_ENDPOINT,
          }),
          invoiceDaysUntilDue: env.STRIPE_INVOICE_DAYS_UNTIL_DUE,
        }
      : null,
    dunning: { maxFailedPayments: env.DUNNING_MAX_FAILED_PAYMENTS },
    auth: { bootstrapAdminKey: env.BOOTSTRAP_ADMIN_KEY, keyCacheTtlMs: env.AUTH_KEY_CACHE_MS },
    catalog: { file: env.CATALOG_FILE ? resolve(env.CATALOG_FILE) : undefined },
    entitlementTokens: {
      graceMs: env.ENTITLEMENT_TOKEN_GRACE_HOURS * 3_600_000,
      rotationMs: env.ENTITLEMENT_KEY_ROTATION_DAYS * 86_400_000,
      issuer: env.ENTITLEMENT_TOKEN_ISSUER,
      audience: env.ENTITLEMENT_TOKEN_AUDIENCE,
    },
  };
}

export type Config = ReturnType<typeof buildConfig>;

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Parses the environment; throws a ConfigError that names every invalid variable. */
export function loadConfig(env: Env = process.env): Readonly<Config> {
  // An empty variable means "not set", as in most shells' `VAR= cmd`.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  );
  const parsed = envSchemaWithRules().safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    );
  }
  return deepFreeze(buildConfig(parsed.data));
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object') deepFreeze(child);
  }
  return Object.freeze(value);
}
