// Writes the published schemas: schema.graphql from the Pothos schema, and the JSON Schema of
// catalog files (catalog/catalog.schema.json): `npm run schema:print`.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printSchema } from 'graphql';
import { catalogFileSchema } from '../src/resolvers/catalog/catalog-file.ts';
import { catalogJsonSchema } from '../src/resolvers/catalog/catalog-formats.ts';
import { schema } from '../src/schema/index.ts';

const targets: [string, string][] = [
  ['../schema.graphql', `${printSchema(schema)}\n`],
  [
    '../catalog/catalog.schema.json',
    `${JSON.stringify(catalogJsonSchema(catalogFileSchema), null, 2)}\n`,
  ],
];
for (const [path, content] of targets) {
  const target = fileURLToPath(new URL(path, import.meta.url));
  writeFileSync(target, content);
  console.log(`wrote ${target}`);
}
