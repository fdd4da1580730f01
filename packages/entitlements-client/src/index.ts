import { type Client, createClient } from 'graphql-ws';
import {
  EntitlementsUpdatedDocument,
  IssueEntitlementTokenDocument,
  type IssueEntitlementTokenMutation,
  UsageUpdatedDocument,
  type UsageUpdatedSubscription,
} from './gql/graphql.ts';
import { type EntitlementClaims, verifyEntitlementToken } from './token.ts';

export { type EntitlementClaims, verifyEntitlementToken } from './token.ts';

/** GET /v1/entitlements, as the billing server answers it. */
export interface EntitlementSnapshot {
  organizationId: string;
  plan: { key: string; version: number; name: string } | null;
  status: string | null;
  periodEnd: string | null;
  features: {
    feature: string;
    enabled: boolean;
    value: unknown;
    source: 'PLAN' | 'OVERRIDE';
    expiresAt: string | null;
  }[];
  meters: {
    meter: string;
    aggregation: 'SUM' | 'COUNT' | 'MAX' | 'LAST';
    mode: 'HARD' | 'SOFT' | 'OVERAGE';
    limit: string | null;
    used: string;
    remaining: string | null;
  }[];
  version: string;
}

/** An answer, where it came from, and how old what it was answered from is. */
export interface Answer {
  allowed: boolean;
  value: unknown;
  /** The server's snapshot, or (offline) a signed token. */
  source: 'server' | 'token';
  ageMs: number;
}

export interface EntitlementsClientOptions {
  /** The billing server, e.g. http://127.0.0.1:4000. */
  url: string;
  apiKey: string;
  /** For graphql-ws outside a browser (e.g. the `ws` package). */
  webSocketImpl?: unknown;
  /** A token issued earlier (issueToken), to answer from while the server is unreachable. */
  token?: { token: string; jwks: { keys: JsonWebKey[] } };
  /** Verifier settings of the server's tokens. */
  issuer?: string;
  audience?: string;
  now?: () => number;
}

interface Held {
  features: Map<string, { enabled: boolean; value: unknown }>;
  meters: Map<string, EntitlementSnapshot['meters'][number]>;
  source: 'server' | 'token';
  at: number;
  /** A token's end: its answers stop there. */
  until: number;
}

/**
 * "May this organization use X?" answered in process, in a Map lookup: from the server's
 * snapshot, kept fresh over one graphql-ws socket (entitlementsUpdated reloads it, usageUpdated
 * moves the meters), or, when the server cannot be reached, from a signed token verified
 * offline. Advisory: the server still enforces HARD limits when usage is recorded.
 */
export class EntitlementsClient {
  readonly #options: EntitlementsClientOptions;
  readonly #now: () => number;
  #held: Held | null = null;
  #live: Client | null = null;
  #stops: (() => void)[] = [];

  constructor(options: EntitlementsClientOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Loads the snapshot (or, unreachable, the token) and keeps it fresh. Answers its source. */
  async connect(): Promise<'server' | 'token'> {
    try {
      await this.refresh();
    } catch (error) {
      if (!this.#options.token) throw error;
      await this.#fromToken(this.#options.token);
      return 'token';
    }
    this.#watch();
    return 'server';
  }

  /** Reads the snapshot again (entitlementsUpdated calls it). */
  async refresh(): Promise<void> {
    const response = await fetch(`${this.#options.url}/v1/entitlements`, {
      headers: { authorization: `Bearer ${this.#options.apiKey}` },
    });
    if (!response.ok) throw new Error(`GET /v1/entitlements answered ${response.status}`);
    const snapshot = (await response.json()) as EntitlementSnapshot;
    this.#held = {
      features: new Map(snapshot.features.map((f) => [f.feature, f])),
      meters: new Map(snapshot.meters.map((m) => [m.meter, m])),
      source: 'server',
      at: this.#now(),
      until: Number.POSITIVE_INFINITY,
    };
  }

  /** May the organization use the feature? */
  can(feature: string): Answer {
    const held = this.#current();
    const grant = held.features.get(feature);
    return {
      allowed: grant?.enabled === true,
      value: grant?.enabled ? grant.value : null,
      source: held.source,
      ageMs: this.#now() - held.at,
    };
  }

  /** Would recording `quantity` of the meter pass its HARD limit? (Advisory.) */
  check(meter: string, quantity = 1): Answer & { remaining: number | null } {
    const held = this.#current();
    const m = held.meters.get(meter);
    const age = { source: held.source, ageMs: this.#now() - held.at };
    if (m?.mode !== 'HARD' || m.limit === null) {
      return { allowed: true, value: null, remaining: null, ...age };
    }
    const used = Number(m.used);
    const after =
      m.aggregation === 'SUM'
        ? used + quantity
        : m.aggregation === 'COUNT'
          ? used + 1
          : m.aggregation === 'MAX'
            ? Math.max(used, quantity)
            : quantity;
    return {
      allowed: after <= Number(m.limit),
      value: null,
      remaining: Number(m.limit) - used,
      ...age,
    };
  }

  /** A signed token for offline use, with the keys to verify it; keep both (e.g. on disk). */
  async issueToken(deviceId?: string): Promise<{ token: string; jwks: { keys: JsonWebKey[] } }> {
    const response = await fetch(`${this.#options.url}/graphql`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${this.#options.apiKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        query: IssueEntitlementTokenDocument.toString(),
        variables: { deviceId: deviceId ?? null },
      }),
    });
    const result = (await response.json()) as { data?: IssueEntitlementTokenMutation };
    const issued = result.data?.issueEntitlementToken;
    if (issued?.__typename !== 'EntitlementTokenSuccess') {
      throw new Error(issued && 'message' in issued ? issued.message : 'no token issued');
    }
    const token = issued.token.token;
    const jwks = (await (await fetch(`${this.#options.url}/.well-known/jwks.json`)).json()) as {
      keys: JsonWebKey[];
    };
    return { token, jwks };
  }

  async close(): Promise<void> {
    for (const stop of this.#stops) stop();
    this.#stops = [];
    await this.#live?.dispose();
    this.#live = null;
  }

  #current(): Held {
    const held = this.#held;
    if (!held) throw new Error('not connected: call connect() first');
    if (this.#now() >= held.until) throw new Error('the entitlement token has expired');
    return held;
  }

  async #fromToken(saved: { token: string; jwks: { keys: JsonWebKey[] } }): Promise<void> {
    const claims: EntitlementClaims = await verifyEntitlementToken(saved.token, saved.jwks, {
      issuer: this.#options.issuer ?? 'graphql-billing-server',
      audience: this.#options.audience ?? 'entitlements',
      now: this.#now(),
    });
    this.#held = {
      features: new Map(
        Object.entries(claims.features).map(([key, value]) => [
          key,
          { enabled: true, value: value === true ? null : value },
        ]),
      ),
      meters: new Map(
        Object.entries(claims.limits).map(([key, limit]) => [
          key,
          // A token says the limits, not the usage: checks are against the whole limit.
          {
            meter: key,
            aggregation: 'SUM',
            mode: limit.mode,
            limit: limit.limit,
            used: '0',
            remaining: limit.limit,
          },
        ]),
      ),
      source: 'token',
      at: claims.iat * 1000,
      until: claims.exp * 1000,
    };
  }

  #watch(): void {
    const wsUrl = `${this.#options.url.replace(/^http/, 'ws')}/graphql`;
    this.#live = createClient({
      url: wsUrl,
      connectionParams: { authorization: `Bearer ${this.#options.apiKey}` },
      ...(this.#options.webSocketImpl ? { webSocketImpl: this.#options.webSocketImpl } : {}),
      retryAttempts: Number.POSITIVE_INFINITY,
    });
    const sink = (next: (data: Record<string, unknown>) => void) => ({
      next: (result: { data?: Record<string, unknown> | null }) => result.data && next(result.data),
      error: () => {},
      complete: () => {},
    });
    this.#stops.push(
      this.#live.subscribe(
        { query: EntitlementsUpdatedDocument.toString() },
        sink(() => void this.refresh().catch(() => {})),
      ),
      this.#live.subscribe(
        { query: UsageUpdatedDocument.toString() },
        sink((data) => {
          const u = (data as UsageUpdatedSubscription).usageUpdated;
          const held = this.#held;
          const known = held?.meters.get(u.meter.key);
          if (held && known) {
            held.meters.set(u.meter.key, {
              ...known,
              used: u.used,
              limit: u.limit,
              remaining: u.remaining,
            });
          }
        }),
      ),
    );
  }
}
