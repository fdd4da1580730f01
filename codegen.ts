// `npm run codegen`: typed documents for the examples, from schema.graphql and each example's
// operations (GraphQL Code Generator, client preset). A client of your own copies one block.
import type { CodegenConfig } from '@graphql-codegen/cli';

// Scalars as they travel in JSON: exact decimals and instants are strings, never floats.
const clientConfig = {
  documentMode: 'string',
  enumsAsTypes: true,
  useTypeImports: true,
  strictScalars: true,
  scalars: {
    DateTime: 'string',
    Decimal: 'string',
    JSON: 'unknown',
    MinorUnits: 'string',
  },
} as const;

const config: CodegenConfig = {
  schema: 'schema.graphql',
  ignoreNoDocuments: false,
  generates: {
    'examples/dashboard/src/gql/': {
      documents: 'examples/dashboard/src/operations.graphql',
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: clientConfig,
    },
    'packages/entitlements-client/src/gql/': {
      documents: 'packages/entitlements-client/src/operations.graphql',
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: { ...clientConfig, importExtension: '.ts' },
    },
    'examples/node-client/gql/': {
      documents: 'examples/node-client/operations.graphql',
      preset: 'client',
      // Node runs the example's TypeScript as is: relative imports must name the .ts file.
      presetConfig: { fragmentMasking: false },
      config: { ...clientConfig, importExtension: '.ts' },
    },
  },
};

export default config;
