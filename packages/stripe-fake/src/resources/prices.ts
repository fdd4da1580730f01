import type { IntervalUnit } from '../calendar.ts';
import { invalidParameter, invalidRequest } from '../errors.ts';
import { newId } from '../ids.ts';
import { listOf, PAGINATION } from '../list.ts';
import { priceById, productById } from '../lookup.ts';
import { checkAmountSize } from '../money.ts';
import {
  optBool,
  optInt,
  optMetadata,
  optObject,
  optString,
  optStrings,
  parseParams,
  reqInt,
  reqString,
} from '../params.ts';
import { pathId, type Route } from '../router.ts';
import type { State } from '../state.ts';
import type { Price } from '../types.ts';

const INTERVALS: readonly string[] = ['day', 'week', 'month', 'year'];

export const priceRoutes: Route[] = [
  {
    method: 'POST',
    pattern: /^\/v1\/prices$/,
    handle({ state, raw }) {
      const p = parseParams(raw, {
        product: 'string',
        currency: 'string',
        unit_amount: 'integer',
        recurring: { object: { interval: 'string', interval_count: 'integer' } },
        lookup_key: 'string',
        nickname: 'string',
        metadata: 'metadata',
        active: 'boolean',
        transfer_lookup_key: 'boolean',
      });
      const product = productById(state, reqString(p, 'product'), 'product');
      const currency = reqString(p, 'currency').toLowerCase();
      const unitAmount = checkAmountSize('unit_amount', reqInt(p, 'unit_amount'));
      if (unitAmount < 0) throw invalidParameter('unit_amount', 'unit_amount must be at least 0.');
      const recurring = optObject(p, 'recurring');
      let interval: IntervalUnit | undefined;
      let intervalCount = 1;
      if (recurring) {
        const unit = reqString(recurring, 'interval', 'recurring[interval]');
        if (!INTERVALS.includes(unit)) {
          throw invalidParameter(
            'recurring[interval]',
            `Invalid recurring[interval]: must be one of day, week, month, or year`,
          );
        }
        interval = unit as IntervalUnit;
        intervalCount = optInt(recurring, 'interval_count') ?? 1;
        if (intervalCount < 1)
          throw invalidParameter('recurring[interval_count]', 'interval_count must be at least 1.');
      }
      const lookupKey = optString(p, 'lookup_key') || null;
      if (lookupKey) claimLookupKey(state, lookupKey, optBool(p, 'transfer_lookup_key') ?? false);
      const price: Price = {
        id: newId('price_'),
        object: 'price',
        active: optBool(p, 'active') ?? true,
        billing_scheme: 'per_unit',
        created: state.now(),
        currency,
        custom_unit_amount: null,
        livemode: false,
        lookup_key: lookupKey,
        metadata: optMetadata(p) ?? {},
        nickname: optString(p, 'nickname') || null,
        product: product.id,
        recurring: interval
          ? { interval, interval_count: intervalCount, meter: null, usage_type: 'licensed' }
          : null,
        tax_behavior: 'unspecified',
        tiers_mode: null,
        transform_quantity: null,
        type: interval ? 'recurring' : 'one_time',
        unit_amount: unitAmount,
        unit_amount_decimal: String(unitAmount),
      };
      state.prices.set(price.id, price);
      state.events.emit('price.created', price);
      return price;
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/prices\/([^/]+)$/,
    handle(context) {
      parseParams(context.raw, {});
      return priceById(context.state, pathId(context));
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/prices$/,
    handle({ state, raw }) {
      const p = parseParams(raw, {
        lookup_keys: 'strings',
        active: 'boolean',
        product: 'string',
        ...PAGINATION,
      });
      const lookupKeys = optStrings(p, 'lookup_keys');
      const active = optBool(p, 'active');
      const product = optString(p, 'product');
      const matching = [...state.prices.values()].filter(
        (price) =>
          (lookupKeys === undefined ||
            (price.lookup_key !== null && lookupKeys.includes(price.lookup_key))) &&
          (active === undefined || price.active === active) &&
          (product === undefined || price.product === product),
      );
      return listOf(matching, '/v1/prices', p);
    },
  },
];

/** A lookup key names one price; taking it from another needs transfer_lookup_key=true. */
function claimLookupKey(state: State, key: string, transfer: boolean): void {
  for (const other of state.prices.values()) {
    if (other.lookup_key !== key) continue;
    if (!transfer) {
      throw invalidRequest(
        `A price (\`${other.id}\`) already uses the lookup key \`${key}\`. Set \`transfer_lookup_key=true\` to transfer it.`,
        { param: 'lookup_key' },
      );
    }
    other.lookup_key = null;
  }
}
