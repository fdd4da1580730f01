import { organizationScopes, scopedOrganization } from './organization-scope.ts';

/** Live events: OWNER and VIEWER keys watch their own organization, ADMIN keys any (named). */
export const liveScopes = organizationScopes('readBilling');
export const liveOrganization = scopedOrganization;
