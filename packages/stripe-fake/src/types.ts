import type Stripe from 'stripe';
import type { Interval } from './calendar.ts';

/**
 * The objects the fake keeps and returns: the subset of each Stripe object's fields that the
 * fake fills, named and shaped as in API version 2026-10-28.endive. `Conformance` below makes
 * the compiler reject any field name stripe-node's types do not know.
 */
export type Metadata = Record<string, string>;

export interface ListObject<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

export interface Product {
  id: string;
  object: 'product';
  active: boolean;
  created: number;
  default_price: string | null;
  description: string | null;
  images: string[];
  livemode: false;
  marketing_features: never[];
  metadata: Metadata;
  name: string;
  package_dimensions: null;
  shippable: boolean | null;
  statement_descriptor: string | null;
  tax_code: string | null;
  type: 'service';
  unit_label: string | null;
  updated: number;
  url: string | null;
}

export interface Price {
  id: string;
  object: 'price';
  active: boolean;
  billing_scheme: 'per_unit';
  created: number;
  currency: string;
  custom_unit_amount: null;
  livemode: false;
  lookup_key: string | null;
  metadata: Metadata;
  nickname: string | null;
  product: string;
  recurring: (Interval & { meter: null; usage_type: 'licensed' }) | null;
  tax_behavior: 'unspecified';
  tiers_mode: null;
  transform_quantity: null;
  type: 'recurring' | 'one_time';
  unit_amount: number;
  unit_amount_decimal: string;
}

export interface Customer {
  id: string;
  object: 'customer';
  address: null;
  balance: number;
  created: number;
  currency: string | null;
  default_source: null;
  delinquent: boolean;
  description: string | null;
  email: string | null;
  invoice_prefix: string;
  invoice_settings: {
    custom_fields: null;
    /** The card subscriptions and invoices charge unless they name their own (a `pm_` id). */
    default_payment_method: string | null;
    footer: null;
    rendering_options: null;
  };
  livemode: false;
  metadata: Metadata;
  name: string | null;
  next_invoice_sequence: number;
  phone: null;
  preferred_locales: string[];
  shipping: null;
  tax_exempt: 'none';
  test_clock: null;
}

export interface SubscriptionItem {
  id: string;
  object: 'subscription_item';
  created: number;
  current_period_end: number;
  current_period_start: number;
  discounts: never[];
  metadata: Metadata;
  price: Price;
  quantity: number;
  subscription: string;
  tax_rates: never[];
}

export type SubscriptionStatus =
  | 'incomplete'
  | 'incomplete_expired'
  | 'trialing'
  | 'active'
  | 'past_due'
  | 'canceled'
  | 'unpaid';

export type CollectionMethod = 'charge_automatically' | 'send_invoice';

/**
 * How prorations and invoices are calculated (https://docs.stripe.com/billing/subscriptions/billing-mode):
 * `classic` credits unused time at the item's current price, `flexible` from what was debited.
 */
export interface BillingMode {
  flexible: { proration_discounts: 'included' | 'itemized' } | null;
  type: 'classic' | 'flexible';
  updated_at: number;
}

export interface Subscription {
  id: string;
  object: 'subscription';
  billing_cycle_anchor: number;
  billing_mode: BillingMode;
  cancel_at: number | null;
  cancel_at_period_end: boolean;
  canceled_at: number | null;
  cancellation_details: { comment: null; feedback: null; reason: string | null } | null;
  collection_method: CollectionMethod;
  created: number;
  currency: string;
  customer: string;
  days_until_due: number | null;
  /** Set by Checkout (the card it collected); takes precedence over the customer's default. */
  default_payment_method: string | null;
  description: string | null;
  discounts: never[];
  ended_at: number | null;
  items: ListObject<SubscriptionItem>;
  latest_invoice: string | null;
  livemode: false;
  metadata: Metadata;
  pause_collection: null;
  pending_update: null;
  /** The subscription schedule managing it (`sub_sched_`), null when none does. */
  schedule: string | null;
  start_date: number;
  status: SubscriptionStatus;
  test_clock: null;
  trial_end: number | null;
  trial_start: number | null;
}

export interface Period {
  start: number;
  end: number;
}

export type ProrationBehavior = 'create_prorations' | 'none' | 'always_invoice';

export interface SchedulePhaseItem {
  billing_thresholds: null;
  discounts: never[];
  metadata: Metadata;
  /** Stripe still names the price as `plan` too. */
  plan: string;
  price: string;
  quantity: number;
  tax_rates: never[];
}

export interface SchedulePhase {
  add_invoice_items: never[];
  application_fee_percent: null;
  billing_cycle_anchor: null;
  billing_thresholds: null;
  collection_method: null;
  currency: string;
  default_payment_method: null;
  default_tax_rates: never[];
  description: null;
  discounts: never[];
  end_date: number;
  invoice_settings: null;
  items: SchedulePhaseItem[];
  metadata: Metadata;
  on_behalf_of: null;
  proration_behavior: ProrationBehavior;
  start_date: number;
  transfer_data: null;
  trial_end: null;
}

type ScheduleStatus = 'not_started' | 'active' | 'completed' | 'released' | 'canceled';

export interface SubscriptionSchedule {
  id: string;
  object: 'subscription_schedule';
  application: null;
  billing_mode: BillingMode;
  canceled_at: number | null;
  completed_at: number | null;
  created: number;
  current_phase: { start_date: number; end_date: number } | null;
  customer: string;
  customer_account: null;
  default_settings: {
    application_fee_percent: null;
    billing_cycle_anchor: 'automatic';
    billing_thresholds: null;
    collection_method: CollectionMethod;
    default_payment_method: null;
    description: null;
    invoice_settings: {
      account_tax_ids: null;
      days_until_due: number | null;
      issuer: { type: 'self' };
    };
    on_behalf_of: null;
    transfer_data: null;
  };
  end_behavior: 'release' | 'cancel';
  livemode: false;
  metadata: Metadata;
  pause_schedules: never[];
  phases: SchedulePhase[];
  released_at: number | null;
  released_subscription: string | null;
  status: ScheduleStatus;
  subscription: string | null;
  test_clock: null;
}

interface PricingDetails {
  type: 'price_details';
  price_details: { price: string; product: string };
  unit_amount_decimal: string | null;
}

export interface InvoiceItem {
  id: string;
  object: 'invoiceitem';
  amount: number;
  currency: string;
  customer: string;
  date: number;
  description: string | null;
  discountable: boolean;
  discounts: never[];
  invoice: string | null;
  livemode: false;
  metadata: Metadata;
  parent: {
    type: 'subscription_details';
    subscription_details: { subscription: string; subscription_item?: string };
  } | null;
  period: Period;
  pricing: PricingDetails | null;
  proration: boolean;
  quantity: number;
  tax_rates: never[];
  test_clock: null;
}

export interface InvoiceLine {
  id: string;
  object: 'line_item';
  amount: number;
  currency: string;
  description: string | null;
  discount_amounts: never[];
  discountable: boolean;
  discounts: never[];
  invoice: string;
  livemode: false;
  metadata: Metadata;
  parent: {
    type: 'invoice_item_details' | 'subscription_item_details';
    invoice_item_details: {
      invoice_item: string;
      proration: boolean;
      proration_details: { credited_items: null };
      subscription: string | null;
    } | null;
    subscription_item_details: {
      invoice_item: null;
      proration: boolean;
      proration_details: { credited_items: null };
      subscription: string;
      subscription_item: string;
    } | null;
  };
  period: Period;
  pricing: PricingDetails | null;
  quantity: number | null;
  subscription: string | null;
  subtotal: number;
  taxes: never[];
}

type InvoiceStatus = 'draft' | 'open' | 'paid' | 'uncollectible' | 'void';

export type BillingReason =
  | 'manual'
  | 'subscription_create'
  | 'subscription_cycle'
  | 'subscription_update';

export interface Invoice {
  id: string;
  object: 'invoice';
  account_country: string;
  account_name: string;
  amount_due: number;
  amount_overpaid: number;
  amount_paid: number;
  amount_remaining: number;
  amount_shipping: number;
  attempt_count: number;
  attempted: boolean;
  auto_advance: boolean;
  automatically_finalizes_at: number | null;
  billing_reason: BillingReason;
  collection_method: CollectionMethod;
  created: number;
  currency: string;
  customer: string;
  customer_email: string | null;
  customer_name: string | null;
  /** The card to charge, before the subscription's and the customer's (POST /v1/invoices). */
  default_payment_method: string | null;
  description: string | null;
  discounts: never[];
  due_date: number | null;
  effective_at: number | null;
  ending_balance: number | null;
  hosted_invoice_url: string | null;
  invoice_pdf: string | null;
  issuer: { type: 'self' };
  last_finalization_error: null;
  lines: ListObject<InvoiceLine> & { total_count: number };
  livemode: false;
  metadata: Metadata;
  next_payment_attempt: number | null;
  number: string | null;
  parent: {
    type: 'subscription_details';
    quote_details: null;
    subscription_details: { metadata: Metadata; subscription: string };
  } | null;
  period_end: number;
  period_start: number;
  post_payment_credit_notes_amount: number;
  pre_payment_credit_notes_amount: number;
  receipt_number: string | null;
  starting_balance: number;
  status: InvoiceStatus;
  status_transitions: {
    finalized_at: number | null;
    marked_uncollectible_at: number | null;
    paid_at: number | null;
    voided_at: number | null;
  };
  subtotal: number;
  subtotal_excluding_tax: number;
  test_clock: null;
  total: number;
  total_discount_amounts: never[];
  total_excluding_tax: number;
  total_taxes: never[];
  webhooks_delivered_at: number | null;
}

export interface CheckoutSession {
  id: string;
  object: 'checkout.session';
  amount_subtotal: number;
  amount_total: number;
  cancel_url: string | null;
  client_reference_id: string | null;
  created: number;
  currency: string | null;
  customer: string | null;
  customer_details: { email: string | null; name: string | null } | null;
  customer_email: string | null;
  expires_at: number;
  invoice: string | null;
  livemode: false;
  metadata: Metadata;
  mode: 'subscription' | 'payment' | 'setup';
  payment_status: 'paid' | 'unpaid' | 'no_payment_required';
  status: 'open' | 'complete' | 'expired';
  subscription: string | null;
  success_url: string;
  ui_mode: 'hosted';
  url: string | null;
}

export interface PortalSession {
  id: string;
  object: 'billing_portal.session';
  configuration: string;
  created: number;
  customer: string;
  customer_account: null;
  flow: null;
  livemode: false;
  locale: null;
  on_behalf_of: null;
  return_url: string | null;
  url: string;
}

export interface StripeEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: Record<string, unknown>; previous_attributes?: Record<string, unknown> };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

/** Resolves to `true` only when every key of Fake is a field of stripe-node's Real type. */
type OnlyRealFields<Fake, Real> = [Exclude<keyof Fake, keyof Real>] extends [never]
  ? true
  : Exclude<keyof Fake, keyof Real>;
type Assert<T extends true> = T;
/** @public A compile-time check: the fake's objects have only fields Stripe's have. */
export type Conformance = [
  Assert<OnlyRealFields<Product, Stripe.Product>>,
  Assert<OnlyRealFields<Price, Stripe.Price>>,
  Assert<OnlyRealFields<NonNullable<Price['recurring']>, Stripe.Price.Recurring>>,
  Assert<OnlyRealFields<Customer, Stripe.Customer>>,
  Assert<OnlyRealFields<Subscription, Stripe.Subscription>>,
  Assert<OnlyRealFields<BillingMode, Stripe.Subscription.BillingMode>>,
  Assert<OnlyRealFields<SubscriptionSchedule, Stripe.SubscriptionSchedule>>,
  Assert<OnlyRealFields<SchedulePhase, Stripe.SubscriptionSchedule.Phase>>,
  Assert<OnlyRealFields<SchedulePhaseItem, Stripe.SubscriptionSchedule.Phase.Item>>,
  Assert<
    OnlyRealFields<
      SubscriptionSchedule['default_settings'],
      Stripe.SubscriptionSchedule.DefaultSettings
    >
  >,
  Assert<OnlyRealFields<SubscriptionItem, Stripe.SubscriptionItem>>,
  Assert<OnlyRealFields<InvoiceItem, Stripe.InvoiceItem>>,
  Assert<OnlyRealFields<InvoiceLine, Stripe.InvoiceLineItem>>,
  Assert<OnlyRealFields<Invoice, Stripe.Invoice>>,
  Assert<OnlyRealFields<NonNullable<Invoice['parent']>, Stripe.Invoice.Parent>>,
  Assert<OnlyRealFields<Invoice['status_transitions'], Stripe.Invoice.StatusTransitions>>,
  Assert<OnlyRealFields<InvoiceLine['parent'], Stripe.InvoiceLineItem.Parent>>,
  Assert<OnlyRealFields<CheckoutSession, Stripe.Checkout.Session>>,
  Assert<OnlyRealFields<PortalSession, Stripe.BillingPortal.Session>>,
  Assert<OnlyRealFields<StripeEvent, Stripe.Event>>,
];
