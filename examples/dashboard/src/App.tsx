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

/** The key lives in this tab's sessionStorage only: never in the URL, gone with the tab. */
const KEY_ITEM = 'billing.apiKey';

export function App() {
  const [key, setKey] = useState(() => sessionStorage.getItem(KEY_ITEM));
  const signOut = useCallback(() => {
    sessionStorage.removeItem(KEY_ITEM);
    setKey(null);
  }, []);
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
  return <Dashboard apiKey={key} onSignOut={signOut} />;
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

function Dashboard({ apiKey, onSignOut }: { apiKey: string; onSignOut: () => void }) {
  const [data, setData] = useState<DashboardQuery | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [alerts, setAlerts] = useState<Alert[]>([]);
  const [live, setLive] = useState(false);

  useEffect(() => {
    let stopped = false;
    const fail = (error: unknown) => {
      if (!stopped)
        setFailure(error instanceof ApiError ? `${error.code}: ${error.message}` : String(error));
    };
    let periodEnd: string | undefined;
    const load = () =>
      request(apiKey, DashboardDocument).then((loaded) => {
        periodEnd = loaded.subscription?.currentPeriodEnd;
        if (!stopped) setData(loaded);
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
      for (const stop of [...stops, ...unlisten]) stop();
      void client.dispose();
    };
  }, [apiKey]);

  if (failure && !data) {
    return (
      <div className="card">
        <p role="alert" className="error">
          {failure}
        </p>
        <button type="button" onClick={onSignOut}>
          Use another key
        </button>
      </div>
    );
  }
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
        <Upgrade
          apiKey={apiKey}
          plans={data.plans}
          current={subscription?.plan.key}
          onChanged={(s) => setData((d) => d && { ...d, subscription: s })}
        />
      </section>

      <section className="card" aria-label="usage">
        <h2>Usage this period</h2>
        {usage.map((meter) => (
          <UsageBar key={meter.meter.key} meter={meter} />
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

function UsageBar({ meter }: { meter: MeterBarFragment }) {
  const width = Math.min(100, meter.pct ?? 0);
  return (
    <div
      className="meter"
      data-testid="meter"
      data-meter={meter.meter.key}
      data-status={meter.status}
    >
      <div className="meter-label">
        <span>{meter.meter.name}</span>
        <span data-testid="meter-figures">
          {quantity(meter.used)} /{' '}
          {meter.limit === null || meter.limit === undefined ? 'unlimited' : quantity(meter.limit)}
          {meter.pct === null || meter.pct === undefined ? '' : ` (${meter.pct.toFixed(1)} %)`}
        </span>
      </div>
      <div
        className={`bar ${meter.status.toLowerCase()}`}
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(width)}
        aria-label={meter.meter.name}
      >
        <div style={{ width: `${width}%` }} />
      </div>
      <div className="meter-note">
        {meter.onTrack
          ? 'on track'
          : `projected ${quantity(meter.projected)}: over the limit by the end of the period`}
        {meter.blocked ? ' · blocked' : ''}
      </div>
    </div>
  );
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
      // FORBIDDEN for a VIEWER key: only the OWNER changes the plan.
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
