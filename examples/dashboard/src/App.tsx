import { useCallback, useEffect, useState } from 'react';
import { ApiError, connectLive, request, subscribe } from './api.ts';
import { bannersFor } from './banners.ts';
import {
  ChangePlanDocument,
  DashboardDocument,
  type DashboardQuery,
  LiveAlertsDocument,
  type LiveAlertsSubscription,
  LiveSubscriptionDocument,
  LiveUsageDocument,
  type MeterBarFragment,
  UpcomingInvoiceDocument,
} from './gql/graphql.ts';
import { type Projection, projectionOf, statusOf } from './meters.ts';

/** The key lives in this tab's sessionStorage only: never in the URL, gone with the tab. */
const KEY_ITEM = 'billing.apiKey';

export function App() {
  const [key, setKey] = useState(() => sessionStorage.getItem(KEY_ITEM));
  // Why the server refused the key (HTTP 401, graphql-ws 4401 or 4403), the first reason heard.
  const [refused, setRefused] = useState<string | null>(null);
  const signOut = useCallback(() => {
    sessionStorage.removeItem(KEY_ITEM);
    setKey(null);
    setRefused(null);
  }, []);
  const onRefused = useCallback((reason: string) => setRefused((first) => first ?? reason), []);
  if (!key) {
    return (
      <KeyForm
        onKey={(entered) => {
          sessionStorage.setItem(KEY_ITEM, entered);
          setKey(entered);
        }}
      />
    );
  }
  // Unmounting the dashboard closes its WebSocket: a refused key is not tried again.
  if (refused)
    return <FailureCard text={`Authentication failed: ${refused}`} onSignOut={signOut} />;
  return <Dashboard apiKey={key} onSignOut={signOut} onRefused={onRefused} />;
}

function FailureCard({ text, onSignOut }: { text: string; onSignOut: () => void }) {
  return (
    <div className="card">
      <p role="alert" className="error" data-testid="failure">
        {text}
      </p>
      <button type="button" onClick={onSignOut}>
        Use another key
      </button>
    </div>
  );
}

function KeyForm({ onKey }: { onKey: (key: string) => void }) {
  const [value, setValue] = useState('');
  return (
    <form
      className="card key-form"
      onSubmit={(event) => {
        event.preventDefault();
        if (value.trim()) onKey(value.trim());
      }}
    >
      <h1>Usage and billing</h1>
      <label htmlFor="api-key">API key (OWNER or VIEWER)</label>
      <input
        id="api-key"
        name="api-key"
        type="password"
        autoComplete="off"
        value={value}
        onChange={(event) => setValue(event.target.value)}
      />
      <button type="submit">Open the dashboard</button>
    </form>
  );
}

type Alert = LiveAlertsSubscription['thresholdCrossed'];

/** How often the page looks at the clock when nothing else changes (see projectionOf). */
const CLOCK_TICK_MS = 60_000;

/** The page's data, loaded over HTTP and kept current over one WebSocket. */
function useDashboard(apiKey: string, onRefused: (reason: string) => void) {
  const [data, setData] = useState<DashboardQuery | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [alerts, setAlerts] = useState<Alert[]>([]);
  const [live, setLive] = useState(false);
  // This browser's clock, read again with every change of usage and once a minute.
  const [now, setNow] = useState(Date.now);

  useEffect(() => {
    let stopped = false;
    const fail = (error: unknown) => {
      if (stopped) return;
      if (error instanceof ApiError && error.code === 'UNAUTHENTICATED') onRefused(error.message);
      else
        setFailure(error instanceof ApiError ? `${error.code}: ${error.message}` : String(error));
    };
    const clock = setInterval(() => setNow(Date.now()), CLOCK_TICK_MS);
    let periodEnd: string | undefined;
    const load = () =>
      request(apiKey, DashboardDocument).then((loaded) => {
        periodEnd = loaded.subscription?.currentPeriodEnd;
        if (stopped) return;
        setNow(Date.now());
        setData(loaded);
      }, fail);
    load();

    // The upcoming invoice moves with usage: read it again shortly after usage changes.
    let refreshTimer: ReturnType<typeof setTimeout> | undefined;
    const refreshUpcoming = () => {
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(() => {
        request(apiKey, UpcomingInvoiceDocument).then(
          ({ upcomingInvoice }) => !stopped && setData((d) => d && { ...d, upcomingInvoice }),
          fail,
        );
      }, 500);
    };

    const client = connectLive(apiKey);
    // A disposed client still reports its close: only this effect's client may set the state
    // (StrictMode mounts twice in development, so two clients overlap for a moment).
    const unlisten = [
      client.on('connected', () => !stopped && setLive(true)),
      client.on('closed', () => !stopped && setLive(false)),
    ];
    const stops = [
      subscribe(
        client,
        LiveUsageDocument,
        ({ usageUpdated }) => {
          setNow(Date.now());
          setData((d) => d && { ...d, usage: replaceMeter(d.usage, usageUpdated) });
          refreshUpcoming();
        },
        fail,
      ),
      subscribe(
        client,
        LiveAlertsDocument,
        ({ thresholdCrossed }) => {
          setAlerts((list) => [thresholdCrossed, ...list].slice(0, 10));
        },
        fail,
      ),
      subscribe(
        client,
        LiveSubscriptionDocument,
        ({ subscriptionUpdated }) => {
          setData((d) => d && { ...d, subscription: subscriptionUpdated });
          // A new period (a renewal) starts usage afresh: read everything again.
          if (subscriptionUpdated.currentPeriodEnd !== periodEnd) load();
        },
        fail,
      ),
    ];
    return () => {
      stopped = true;
      clearTimeout(refreshTimer);
      clearInterval(clock);
      for (const stop of [...stops, ...unlisten]) stop();
      // dispose() waits for a connection still being made: a refused one rejects, which is fine.
      Promise.resolve(client.dispose()).catch(() => {});
    };
  }, [apiKey, onRefused]);

  return { data, setData, failure, alerts, live, now };
}

function Dashboard(props: {
  apiKey: string;
  onSignOut: () => void;
  onRefused: (reason: string) => void;
}) {
  const { apiKey, onSignOut } = props;
  const { data, setData, failure, alerts, live, now } = useDashboard(apiKey, props.onRefused);
  if (failure && !data) return <FailureCard text={failure} onSignOut={onSignOut} />;
  if (!data) return <p className="card">Loading…</p>;

  const { subscription, usage, upcomingInvoice, viewer } = data;
  const banners = bannersFor(subscription, usage);
  return (
    <main>
      <header>
        <h1>{viewer.organization?.name ?? 'Usage and billing'}</h1>
        <span className={`live ${live ? 'on' : 'off'}`} data-testid="live">
          {live ? 'live' : 'reconnecting…'}
        </span>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </header>

      {failure ? (
        <p role="alert" className="error" data-testid="failure">
          {failure}
        </p>
      ) : null}
      <section aria-label="banners">
        {banners.map((banner) => (
          <div
            key={`${banner.level}:${banner.subject}`}
            className={`banner ${banner.level.toLowerCase()}`}
            role="alert"
            data-testid="banner"
            data-level={banner.level}
            data-subject={banner.subject}
          >
            <strong>{banner.level.replace('_', ' ')}</strong> {banner.text}
          </div>
        ))}
      </section>

      <section className="card" aria-label="plan">
        <h2>Plan</h2>
        {subscription ? (
          <p data-testid="plan">
            <strong>{subscription.plan.name}</strong> ({subscription.plan.basePrice.formatted}
            /month), <span data-testid="subscription-status">{subscription.status}</span>
            {subscription.pendingPlan
              ? `, changing to ${subscription.pendingPlan.name} at renewal`
              : ''}
            {subscription.cancelAtPeriodEnd ? ', cancels at the end of the period' : ''}
          </p>
        ) : (
          <p>No subscription.</p>
        )}
        <p>
          Upcoming invoice:{' '}
          <strong data-testid="upcoming-total">{upcomingInvoice?.total.formatted ?? '—'}</strong>
          {upcomingInvoice ? ` (${upcomingInvoice.amountDue.formatted} due)` : ''}
        </p>
        {mayChangePlan(viewer.role) ? (
          <Upgrade
            apiKey={apiKey}
            plans={data.plans}
            current={subscription?.plan.key}
            onChanged={(s) => setData((d) => d && { ...d, subscription: s })}
          />
        ) : (
          <p data-testid="upgrade-not-allowed">Plan changes need an OWNER key.</p>
        )}
      </section>

      <section className="card" aria-label="usage">
        <h2>Usage this period</h2>
        {usage.map((meter) => (
          <UsageBar key={meter.meter.key} meter={meter} now={now} />
        ))}
      </section>

      <section className="card" aria-label="alerts">
        <h2>Alerts</h2>
        {alerts.length === 0 ? <p>None since this page opened.</p> : null}
        <ul>
          {alerts.map((alert) => (
            <li key={alert.id} data-testid="alert">
              {alert.meter.name} crossed {alert.threshold} % ({alert.pct.toFixed(1)} %) at{' '}
              {new Date(alert.crossedAt).toLocaleTimeString()}
            </li>
          ))}
        </ul>
      </section>
    </main>
  );
}

/** Quantities are exact decimal strings; grouped for reading only. */
const grouping = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });
function quantity(value: string): string {
  const n = Number(value);
  return Number.isFinite(n) ? grouping.format(n) : value;
}

function replaceMeter(usage: readonly MeterBarFragment[], updated: MeterBarFragment) {
  const known = usage.some((m) => m.meter.key === updated.meter.key);
  return known
    ? usage.map((m) => (m.meter.key === updated.meter.key ? updated : m))
    : [...usage, updated];
}

/**
 * Only an OWNER changes its organization's plan (the platform's ADMIN may too): other keys get
 * no button that can only answer FORBIDDEN. The role is the key's own, from `viewer { role }`.
 */
function mayChangePlan(role: DashboardQuery['viewer']['role']): boolean {
  return role === 'OWNER' || role === 'ADMIN';
}

function UsageBar({ meter, now }: { meter: MeterBarFragment; now: number }) {
  const width = Math.min(100, meter.pct ?? 0);
  const status = statusOf(meter);
  return (
    <div className="meter" data-testid="meter" data-meter={meter.meter.key} data-status={status}>
      <div className="meter-label">
        <span>{meter.meter.name}</span>
        <span data-testid="meter-figures">
          {quantity(meter.used)} /{' '}
          {meter.limit === null || meter.limit === undefined ? 'unlimited' : quantity(meter.limit)}
          {meter.pct === null || meter.pct === undefined ? '' : ` (${meter.pct.toFixed(1)} %)`}
        </span>
      </div>
      <div
        className={`bar ${status.toLowerCase()}`}
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(width)}
        aria-label={meter.meter.name}
      >
        <div style={{ width: `${width}%` }} />
      </div>
      <div className="meter-note">
        {[
          status === 'AT_LIMIT' ? 'at limit' : null,
          projectionText(projectionOf(meter, now)),
          meter.blocked ? 'blocked' : null,
        ]
          .filter((part) => part !== null)
          .join(' · ')}
      </div>
    </div>
  );
}

const day = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric' });

function projectionText(projection: Projection): string | null {
  switch (projection.kind) {
    case 'none':
      return null;
    case 'too-early':
      return `too early to project (from ${day.format(projection.from)})`;
    case 'shown': {
      const verdict =
        projection.over === null ? '' : projection.over ? ': over the limit' : ': on track';
      return `projected ${grouping.format(projection.units)} by the end of the period${verdict}`;
    }
  }
}

function Upgrade(props: {
  apiKey: string;
  plans: DashboardQuery['plans'];
  current: string | undefined;
  onChanged: (subscription: NonNullable<DashboardQuery['subscription']>) => void;
}) {
  // Amounts are minor units as strings (exact at any size): compared as BigInts.
  const currentPrice = BigInt(
    props.plans.find((p) => p.key === props.current)?.basePrice.amount ?? '0',
  );
  const upgrades = props.plans.filter((p) => BigInt(p.basePrice.amount) > currentPrice);
  const [choice, setChoice] = useState(upgrades[0]?.key ?? '');
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  if (upgrades.length === 0) return <p>On the largest plan.</p>;

  const upgrade = async () => {
    setBusy(true);
    setOutcome(null);
    try {
      const { changePlan } = await request(props.apiKey, ChangePlanDocument, { planKey: choice });
      switch (changePlan.__typename) {
        case 'ChangePlanSuccess':
          props.onChanged(changePlan.subscription);
          setOutcome({ ok: true, text: `Now on ${changePlan.subscription.plan.name}.` });
          break;
        case 'ValidationError':
          setOutcome({
            ok: false,
            text: `${changePlan.message} ${changePlan.fieldErrors.map((f) => `${f.path.join('.')}: ${f.message}`).join('; ')}`,
          });
          break;
        case 'NotFoundError':
          setOutcome({ ok: false, text: changePlan.message });
          break;
        case 'BillingProviderError':
          setOutcome({
            ok: false,
            text: `${changePlan.message}${changePlan.code ? ` (${changePlan.code})` : ''}`,
          });
          break;
      }
    } catch (error) {
      // FORBIDDEN should not come (the button is for OWNER keys), but the server decides.
      setOutcome({
        ok: false,
        text: error instanceof ApiError ? `${error.code}: ${error.message}` : String(error),
      });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="upgrade">
      <select
        aria-label="plan to upgrade to"
        value={choice}
        onChange={(e) => setChoice(e.target.value)}
      >
        {upgrades.map((plan) => (
          <option key={plan.key} value={plan.key}>
            {plan.name} ({plan.basePrice.formatted}/month)
          </option>
        ))}
      </select>
      <button type="button" disabled={busy} onClick={upgrade}>
        Upgrade now
      </button>
      {outcome ? (
        <p className={outcome.ok ? 'ok' : 'error'} role="status" data-testid="upgrade-outcome">
          {outcome.text}
        </p>
      ) : null}
    </div>
  );
}
