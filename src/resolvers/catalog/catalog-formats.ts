import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';
import { ValidationError } from '../../errors.ts';

/**
 * A catalog file is JSON, YAML, or a TypeScript or JavaScript module whose default export is
 * the catalog (typed with `defineCatalog`, see catalog/define.ts); its extension says which.
 */
export type CatalogFormat = 'json' | 'yaml';

const MODULE_EXTENSIONS = new Set(['.ts', '.mts', '.js', '.mjs']);
const YAML_EXTENSIONS = new Set(['.yaml', '.yml']);

/** The file's content, not yet checked: parsed by its extension (a module is imported). */
export async function readCatalogSource(path: string | URL): Promise<unknown> {
  const name = path instanceof URL ? path.pathname : path;
  const extension = extname(name).toLowerCase();
  try {
    if (MODULE_EXTENSIONS.has(extension)) {
      const url = path instanceof URL ? path : pathToFileURL(path);
      const module = (await import(url.href)) as { default?: unknown };
      if (module.default === undefined) throw new Error('the module has no default export');
      return module.default;
    }
    const text = await readFile(path, 'utf8');
    // YAML's aliases are bounded (maxAliasCount): a small file cannot expand into a huge one.
    return YAML_EXTENSIONS.has(extension)
      ? parseYaml(text, { maxAliasCount: 100 })
      : JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`catalog file ${String(path)}: ${(error as Error).message}`);
  }
}

/** A catalog as a file's text, in the format asked for. */
export function printCatalog(catalog: unknown, format: CatalogFormat): string {
  return format === 'yaml'
    ? stringifyYaml(catalog, { lineWidth: 0 })
    : `${JSON.stringify(catalog, null, 2)}\n`;
}

/**
 * The JSON Schema of a catalog file (catalog/catalog.schema.json), so that editors complete and
 * check JSON and YAML catalogs. Amounts are written as strings or integers in a file; the
 * bigint GraphQL also accepts has no JSON form and is left out.
 */
export function catalogJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    override: (context) => {
      const anyOf = context.jsonSchema.anyOf;
      if (Array.isArray(anyOf)) {
        context.jsonSchema.anyOf = anyOf.filter((option) => Object.keys(option).length > 0);
      }
    },
  }) as Record<string, unknown>;
}
