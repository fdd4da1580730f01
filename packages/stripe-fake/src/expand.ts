import type { State } from './state.ts';

/**
 * `expand[]` support: replaces id strings at the given dotted paths (`latest_invoice`,
 * `data.customer`, `items.data.price.product`) with copies of the objects they name.
 */
export function expandResponse(state: State, body: object, paths: string[]): object {
  if (paths.length === 0) return body;
  const copy = structuredClone(body);
  for (const path of paths) expandAt(state, copy, path.split('.'));
  return copy;
}

function expandAt(state: State, node: unknown, segments: string[]): void {
  if (typeof node !== 'object' || node === null) return;
  if (Array.isArray(node)) {
    for (const entry of node) expandAt(state, entry, segments);
    return;
  }
  const [head, ...rest] = segments;
  if (head === undefined) return;
  const record = node as Record<string, unknown>;
  const value = record[head];
  // Every level of a dotted path is expanded: `latest_invoice.customer` expands both.
  if (typeof value === 'string') {
    const found = resolve(state, value);
    if (found) record[head] = structuredClone(found);
  }
  if (rest.length > 0) expandAt(state, record[head], rest);
}

function resolve(state: State, id: string): object | undefined {
  const collections: [string, Map<string, object>][] = [
    ['cus_', state.customers],
    ['sub_', state.subscriptions],
    ['in_', state.invoices],
    ['price_', state.prices],
    ['prod_', state.products],
    ['ii_', state.invoiceItems],
    ['cs_', state.checkoutSessions],
  ];
  for (const [prefix, map] of collections) if (id.startsWith(prefix)) return map.get(id);
  return state.products.get(id);
}
