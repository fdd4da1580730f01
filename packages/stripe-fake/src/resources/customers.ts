import { createCustomer } from '../billing/customers.ts';
import { customerById } from '../lookup.ts';
import { optMetadata, optString, parseParams } from '../params.ts';
import { pathId, type Route } from '../router.ts';

export const customerRoutes: Route[] = [
  {
    method: 'POST',
    pattern: /^\/v1\/customers$/,
    handle({ state, raw }) {
      const p = parseParams(raw, { name: 'string', email: 'string', metadata: 'metadata' });
      return createCustomer(state, {
        name: optString(p, 'name') || null,
        email: optString(p, 'email') || null,
        metadata: optMetadata(p) ?? {},
      });
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/customers\/([^/]+)$/,
    handle(context) {
      parseParams(context.raw, {});
      return customerById(context.state, pathId(context));
    },
  },
];
