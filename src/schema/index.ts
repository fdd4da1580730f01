import { builder } from './builder.ts';
import './scalars.ts';
import './errors.ts';
import './money.ts';
import './catalog.ts';
import './subscriptions.ts';
import './api-keys.ts';
import './organizations.ts';
import './viewer.ts';

builder.queryType({});
builder.mutationType({});

export const schema = builder.toSchema({ sortSchema: true });
