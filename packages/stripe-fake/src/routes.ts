import { checkoutRoutes } from './resources/checkout.ts';
import { customerRoutes } from './resources/customers.ts';
import { invoiceItemRoutes } from './resources/invoice-items.ts';
import { invoiceRoutes } from './resources/invoices.ts';
import { portalRoutes } from './resources/portal.ts';
import { priceRoutes } from './resources/prices.ts';
import { productRoutes } from './resources/products.ts';
import { subscriptionScheduleRoutes } from './resources/subscription-schedules.ts';
import { subscriptionRoutes } from './resources/subscriptions.ts';
import type { Route } from './router.ts';

/** Every endpoint the fake serves; anything else is a 404. */
export const routes: Route[] = [
  ...productRoutes,
  ...priceRoutes,
  ...customerRoutes,
  ...subscriptionRoutes,
  ...subscriptionScheduleRoutes,
  ...invoiceItemRoutes,
  ...invoiceRoutes,
  ...checkoutRoutes,
  ...portalRoutes,
];
