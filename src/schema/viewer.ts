import type { Principal } from '../auth/principal.ts';
import { findOrganization } from '../resolvers/organizations/organization-signup.ts';
import { RoleEnum } from './api-keys.ts';
import { builder } from './builder.ts';
import { OrganizationType } from './organizations.ts';

const ViewerType = builder.objectRef<Principal>('Viewer').implement({
  description: 'Who the API key belongs to.',
  fields: (t) => ({
    organization: t.field({
      type: OrganizationType,
      nullable: true,
      description: 'Null for ADMIN keys, which belong to the platform.',
      resolve: (principal, _args, ctx) =>
        principal.organizationId ? findOrganization(ctx, principal.organizationId) : null,
    }),
    role: t.field({ type: RoleEnum, resolve: (principal) => principal.role }),
  }),
});

builder.queryField('viewer', (t) =>
  t.field({
    type: ViewerType,
    authScopes: { authenticated: true },
    resolve: (_root, _args, ctx) => {
      // authScopes guarantees a principal.
      if (!ctx.principal) throw new Error('viewer resolved without a principal');
      return ctx.principal;
    },
  }),
);
