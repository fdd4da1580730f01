import { jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { instant } from '../columns.ts';
import { organizations } from './organizations.ts';

/**
 * The keys entitlement tokens are signed with (Ed25519). The newest signs until it is due for
 * rotation; every key is published (/.well-known/jwks.json) until the last token it signed has
 * expired. The private half is a secret of the deployment, like the database itself.
 */
export const signingKeys = pgTable('signing_keys', {
  /** The JWS `kid`. */
  kid: text('kid').primaryKey(),
  publicJwk: jsonb('public_jwk').$type<Record<string, unknown>>().notNull(),
  privateJwk: jsonb('private_jwk').$type<Record<string, unknown>>().notNull(),
  createdAt: instant('created_at').notNull(),
  /** From then on a newer key signs. */
  rotatesAt: instant('rotates_at').notNull(),
  /** The latest `exp` of a token it signed: published until then. */
  lastTokenExpiresAt: instant('last_token_expires_at').notNull(),
});

/** Devices an organization's entitlement tokens were issued to: first and last seen. */
export const deviceActivations = pgTable(
  'device_activations',
  {
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    deviceId: text('device_id').notNull(),
    firstSeenAt: instant('first_seen_at').notNull(),
    lastSeenAt: instant('last_seen_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.deviceId] })],
);

export type SigningKeyRow = typeof signingKeys.$inferSelect;
export type DeviceActivationRow = typeof deviceActivations.$inferSelect;
