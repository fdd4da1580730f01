import { checkCompatible } from '../billing/subscriptions.ts';
import { invalidParameter, invalidRequest } from '../errors.ts';
import { newId } from '../ids.ts';
import { checkoutSessionById, customerById, priceById } from '../lookup.ts';
import {
  optEnum,
  optInt,
  optList,
  optMetadata,
  optObject,
  optString,
  parseParams,
  reqString,
} from '../params.ts';
import { pathId, type Route } from '../router.ts';
import type { CheckoutIntent } from '../state.ts';
import type { CheckoutSession } from '../types.ts';
import { BILLING_MODE, billingModeParam } from './subscription-schedules.ts';

const MODES = ['subscription', 'payment', 'setup'] as const;
const DAY = 86_400;

/** Stripe lets a session expire from 30 minutes to 24 hours after it is made (24 h unless told). */
function checkExpiry(expiresAt: number | undefined, now: number): number {
  if (expiresAt === undefined) return now + DAY;
  if (expiresAt < now + 30 * 60 || expiresAt > now + DAY) {
    throw invalidParameter(
      'expires_at',
      'The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.',
    );
  }
  return expiresAt;
}

export const checkoutRoutes: Route[] = [
  {
    method: 'POST',
    pattern: /^\/v1\/checkout\/sessions$/,
    handle({ state, raw }) {
      const p = parseParams(raw, {
        mode: 'string',
        customer: 'string',
        customer_email: 'string',
        client_reference_id: 'string',
        line_items: { list: { price: 'string', quantity: 'integer' } },
        subscription_data: {
          object: {
            trial_period_days: 'integer',
            billing_cycle_anchor: 'integer',
            metadata: 'metadata',
            billing_mode: BILLING_MODE,
          },
        },
        success_url: 'string',
        cancel_url: 'string',
        expires_at: 'integer',
        metadata: 'metadata',
      });
      const mode = optEnum(p, 'mode', MODES);
      if (mode === undefined) reqString(p, 'mode');
      const successUrl = reqString(p, 'success_url');
      const customerId = optString(p, 'customer');
      const customer = customerId ? customerById(state, customerId, 'customer') : undefined;
      const lines = (optList(p, 'line_items') ?? []).map((line, index) => {
        const param = `line_items[${index}]`;
        const price = priceById(
          state,
          reqString(line, 'price', `${param}[price]`),
          `${param}[price]`,
        );
        const quantity = optInt(line, 'quantity') ?? 1;
        if (quantity < 1)
          throw invalidParameter(`${param}[quantity]`, 'Quantity must be at least 1.');
        return { price, quantity };
      });
      if (mode === 'subscription' && lines.length === 0) {
        throw invalidParameter(
          'line_items',
          'You must provide at least one recurring price in `subscription` mode.',
        );
      }
      if (mode === 'subscription') {
        checkCompatible(
          lines.map((line) => line.price),
          'line_items',
        );
      }
      if (customer && optString(p, 'customer_email')) {
        throw invalidRequest(
          'You may only specify one of these parameters: customer, customer_email.',
        );
      }
      const data = optObject(p, 'subscription_data') ?? {};
      const trialDays = optInt(data, 'trial_period_days');
      const anchor = optInt(data, 'billing_cycle_anchor');
      const billingMode = billingModeParam(data, 'billing_mode', 'subscription_data[billing_mode]');
      const intent: CheckoutIntent = {
        lineItems: lines.map((line) => ({ price: line.price.id, quantity: line.quantity })),
        ...(trialDays !== undefined ? { trialPeriodDays: trialDays } : {}),
        ...(anchor !== undefined ? { billingCycleAnchor: anchor } : {}),
        subscriptionMetadata: optMetadata(data) ?? {},
        ...(billingMode ? { billingMode } : {}),
      };
      const now = state.now();
      const expiresAt = checkExpiry(optInt(p, 'expires_at'), now);
      if (anchor !== undefined && anchor <= now) {
        throw invalidParameter(
          'subscription_data[billing_cycle_anchor]',
          'billing_cycle_anchor must be in the future.',
        );
      }
      const id = newId('cs_test_', 58);
      const subtotal = lines.reduce((sum, line) => sum + line.price.unit_amount * line.quantity, 0);
      const session: CheckoutSession = {
        id,
        object: 'checkout.session',
        amount_subtotal: subtotal,
        amount_total: trialDays ? 0 : subtotal,
        cancel_url: optString(p, 'cancel_url') ?? null,
        client_reference_id: optString(p, 'client_reference_id') || null,
        created: now,
        currency: lines[0]?.price.currency ?? null,
        customer: customer?.id ?? null,
        customer_details: null,
        customer_email: customer ? customer.email : optString(p, 'customer_email') || null,
        expires_at: expiresAt,
        invoice: null,
        livemode: false,
        metadata: optMetadata(p) ?? {},
        mode: mode ?? 'subscription',
        payment_status: 'unpaid',
        status: 'open',
        subscription: null,
        success_url: successUrl,
        ui_mode: 'hosted',
        url: `${state.url}/checkout/${id}`,
      };
      state.checkoutSessions.set(id, session);
      state.checkoutIntents.set(id, intent);
      return session;
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/checkout\/sessions\/([^/]+)$/,
    handle(context) {
      parseParams(context.raw, {});
      return checkoutSessionById(context.state, pathId(context));
    },
  },
];
