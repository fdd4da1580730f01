import type { z } from 'zod';
import type { catalogFileSchema } from './catalog-file.ts';

/** A catalog module's default export: the content of a catalog file, as written. */
export type CatalogDefinition = z.input<typeof catalogFileSchema>;

/**
 * Types a catalog kept as a TypeScript module, so that the editor completes and checks it:
 * `export default defineCatalog({ meters: [...], features: [...], plans: [...] })`. The server
 * checks it again when it is applied, like any catalog file.
 */
export function defineCatalog(catalog: CatalogDefinition): CatalogDefinition {
  return catalog;
}
