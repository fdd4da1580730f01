import { invalidRequest } from '../errors.ts';
import { newId } from '../ids.ts';
import { productById } from '../lookup.ts';
import { optBool, optMetadata, optString, parseParams, reqString } from '../params.ts';
import { pathId, type Route } from '../router.ts';
import type { Product } from '../types.ts';

export const productRoutes: Route[] = [
  {
    method: 'POST',
    pattern: /^\/v1\/products$/,
    handle({ state, raw }) {
      const p = parseParams(raw, {
        id: 'string',
        name: 'string',
        description: 'string',
        metadata: 'metadata',
        active: 'boolean',
      });
      const id = optString(p, 'id') || newId('prod_', 14);
      if (state.products.has(id)) {
        throw invalidRequest(`Product already exists.`, {
          code: 'resource_already_exists',
          param: 'id',
        });
      }
      const now = state.now();
      const product: Product = {
        id,
        object: 'product',
        active: optBool(p, 'active') ?? true,
        created: now,
        default_price: null,
        description: optString(p, 'description') || null,
        images: [],
        livemode: false,
        marketing_features: [],
        metadata: optMetadata(p) ?? {},
        name: reqString(p, 'name'),
        package_dimensions: null,
        shippable: null,
        statement_descriptor: null,
        tax_code: null,
        type: 'service',
        unit_label: null,
        updated: now,
        url: null,
      };
      state.products.set(id, product);
      state.events.emit('product.created', product);
      return product;
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/products\/([^/]+)$/,
    handle(context) {
      parseParams(context.raw, {});
      return productById(context.state, pathId(context));
    },
  },
];
