import { builder } from './builder.ts';
import './scalars.ts';
import './error-types.ts';
import './money-type.ts';
import './catalog.ts';
import './catalog-admin.ts';
import './subscriptions.ts';
import './api-keys.ts';
import './organizations.ts';
import './viewer.ts';
import './usage.ts';
import './quota-overrides.ts';
import './alerts.ts';
import './webhooks.ts';
import './outbox.ts';
import './billing.ts';
import './plan-migration.ts';
import './entitlements.ts';
import './invoices.ts';

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

export const schema = builder.toSchema({ sortSchema: true });
