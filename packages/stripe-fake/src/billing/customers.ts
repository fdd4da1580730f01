import { newId } from '../ids.ts';
import type { State } from '../state.ts';
import type { Customer, Metadata } from '../types.ts';

export interface NewCustomer {
  name: string | null;
  email: string | null;
  metadata: Metadata;
}

/** Creates a customer and emits `customer.created`. */
export function createCustomer(state: State, input: NewCustomer): Customer {
  const customer: Customer = {
    id: newId('cus_', 14),
    object: 'customer',
    address: null,
    balance: 0,
    created: state.now(),
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    email: input.email,
    invoice_prefix: 'FAKE',
    invoice_settings: {
      custom_fields: null,
      default_payment_method: null,
      footer: null,
      rendering_options: null,
    },
    livemode: false,
    metadata: input.metadata,
    name: input.name,
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
  state.customers.set(customer.id, customer);
  state.events.emit('customer.created', customer);
  return customer;
}
