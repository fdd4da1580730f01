import { newId } from '../ids.ts';
import { customerById } from '../lookup.ts';
import { optString, parseParams, reqString } from '../params.ts';
import type { Route } from '../router.ts';
import type { PortalSession } from '../types.ts';

export const portalRoutes: Route[] = [
  {
    method: 'POST',
    pattern: /^\/v1\/billing_portal\/sessions$/,
    handle({ state, raw }) {
      const p = parseParams(raw, { customer: 'string', return_url: 'string' });
      const customer = customerById(state, reqString(p, 'customer'), 'customer');
      const id = newId('bps_');
      const session: PortalSession = {
        id,
        object: 'billing_portal.session',
        configuration: 'bpc_fake_default',
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
