import { Clock } from './clock.ts';
import { EventLog } from './events.ts';
import type {
  BillingMode,
  CheckoutSession,
  Customer,
  Invoice,
  InvoiceItem,
  PortalSession,
  Price,
  Product,
  Subscription,
  SubscriptionSchedule,
} from './types.ts';

/** What a checkout session was asked to create, which Stripe does not echo on the session. */
export interface CheckoutIntent {
  lineItems: { price: string; quantity: number }[];
  trialPeriodDays?: number;
  billingCycleAnchor?: number;
  subscriptionMetadata: Record<string, string>;
  /** subscription_data[billing_mode]; flexible when not given. */
  billingMode?: BillingModeInput;
}

/** billing_mode as asked for on creation (subscriptions, checkout, schedules). */
export interface BillingModeInput {
  type: BillingMode['type'];
  prorationDiscounts?: 'included' | 'itemized';
}

/** The in-memory "Stripe account" of one fake instance. */
export class State {
  readonly customers = new Map<string, Customer>();
  readonly products = new Map<string, Product>();
  readonly prices = new Map<string, Price>();
  readonly subscriptions = new Map<string, Subscription>();
  readonly invoices = new Map<string, Invoice>();
  readonly invoiceItems = new Map<string, InvoiceItem>();
  readonly checkoutSessions = new Map<string, CheckoutSession>();
  readonly portalSessions = new Map<string, PortalSession>();

  readonly subscriptionSchedules = new Map<string, SubscriptionSchedule>();

  readonly checkoutIntents = new Map<string, CheckoutIntent>();
  /** Subscriptions already sent `customer.subscription.trial_will_end` for their current trial. */
  readonly trialWillEndSent = new Set<string>();
  readonly declinedCustomers = new Set<string>();
  /** days_until_due of manually created send_invoice invoices (Stripe keeps only due_date). */
  readonly invoiceDueDays = new Map<string, number>();
  /**
   * The default customer portal configuration, made when its settings are saved in the
   * Dashboard (`configurePortal()`); until then Stripe refuses portal sessions.
   */
  portalConfiguration: string | null = null;

  readonly clock = new Clock();
  readonly events = new EventLog(() => this.clock.now());
  /** Base URL of the fake, for hosted pages (checkout, portal, invoices). */
  url = '';
  private invoiceNumber = 0;

  now(): number {
    return this.clock.now();
  }

  nextInvoiceNumber(): string {
    this.invoiceNumber += 1;
    return `FAKE-${String(this.invoiceNumber).padStart(4, '0')}`;
  }
}
