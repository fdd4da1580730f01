import { invalidRequest } from '../errors.ts';
import { newId } from '../ids.ts';
import { customerById } from '../lookup.ts';
import { optString, parseParams, reqString } from '../params.ts';
import type { Route } from '../router.ts';
import type { PortalSession } from '../types.ts';

/**
 * Stripe's refusal of a portal session before the portal's settings were saved once (Dashboard:
 * Settings → Billing → Customer portal) or a configuration made through the API.
 */
const PORTAL_NOT_CONFIGURED =
  'No configuration provided and your test mode default configuration has not been created. Provide a configuration or create your default by saving your customer portal settings in test mode at https://dashboard.stripe.com/test/settings/billing/portal.';

export const portalRoutes: Route[] = [
  {
    method: 'POST',
    pattern: /^\/v1\/billing_portal\/sessions$/,
    handle({ state, raw }) {
      const p = parseParams(raw, { customer: 'string', return_url: 'string' });
      const customerId = reqString(p, 'customer');
      const configuration = state.portalConfiguration;
      if (configuration === null) throw invalidRequest(PORTAL_NOT_CONFIGURED);
      const customer = customerById(state, customerId, 'customer');
      const id = newId('bps_');
      const session: PortalSession = {
        id,
        object: 'billing_portal.session',
        configuration,
        created: state.now(),
        customer: customer.id,
        customer_account: null,
        flow: null,
        livemode: false,
        locale: null,
        on_behalf_of: null,
        return_url: optString(p, 'return_url') || null,
        url: `${state.url}/portal/${id}`,
      };
      state.portalSessions.set(id, session);
      return session;
    },
  },
];
