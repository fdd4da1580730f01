/**
 * The architecture as a checked rule (`npm run lint`): data flows one way, from the edges
 * (http/, cli/, jobs/, schema/) into resolvers/<domain>/, and from there down to billing/ (the
 * rules), db/ (the tables), stripe/ (the gateway) and live/ (the topics). Type imports count.
 * See README "Code map".
 */

/** The domains, lowest first: a domain may use the ones before it, never one after it. */
const DOMAINS = [
  'common',
  'catalog',
  'live',
  'alerts',
  'metering',
  'invoicing',
  'subscriptions',
  'entitlements',
  'organizations',
  'collection',
];

const ladder = DOMAINS.map((domain, level) => ({
  name: `domain-ladder-${domain}`,
  comment: `resolvers/${domain}/ may use only the domains below it (${DOMAINS.slice(0, level).join(', ') || 'none'})`,
  severity: 'error',
  from: { path: `^src/resolvers/${domain}/` },
  to: { path: `^src/resolvers/(${DOMAINS.slice(level + 1).join('|') || '$^'})/` },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycle in src/, type imports included.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...ladder,
    {
      name: 'unknown-domain',
      comment:
        'Every folder of src/resolvers/ is a domain on the ladder (.dependency-cruiser.cjs).',
      severity: 'error',
      from: {},
      to: { path: '^src/resolvers/', pathNot: `^src/resolvers/(${DOMAINS.join('|')})/[^/]+$` },
    },
    {
      name: 'stripe-is-a-gateway',
      comment: 'src/stripe/ talks to Stripe only: no tables, no domains, no context.',
      severity: 'error',
      from: { path: '^src/stripe/' },
      to: {
        path: '^src/(db|resolvers|schema|http|jobs|cli|live|auth)/|^src/(context|request-context|loaders|services|app)\\.ts$|^(drizzle-orm|postgres|@electric-sql)',
      },
    },
    {
      name: 'billing-is-pure',
      comment: 'src/billing/ holds the rules: no I/O, no database, Stripe or GraphQL.',
      severity: 'error',
      from: { path: '^src/billing/' },
      to: { pathNot: '^src/billing/|decimal\\.js' },
    },
    {
      name: 'context-from-leaves',
      comment:
        'context.ts names the principal, stores, caches and the job queue: never a use case or the job runner.',
      severity: 'error',
      from: { path: '^src/context\\.ts$' },
      to: {
        path: '^src/(jobs|http|schema|cli)/|^src/(services|app|request-context)\\.ts$|^src/resolvers/',
        pathNot: '^src/resolvers/[^/]+/[^/]+-(store|cache|queue|loaders)\\.ts$',
      },
    },
    {
      name: 'stores-take-db',
      comment: 'Stores, caches and loaders take the database, never the request context.',
      severity: 'error',
      from: { path: '^src/resolvers/[^/]+/[^/]+-(store|cache|queue|loaders)\\.ts$' },
      to: { path: '^src/(context|request-context)\\.ts$' },
    },
    {
      name: 'domains-below-the-edges',
      comment: 'resolvers/ is called by the edges (http, cli, jobs, schema) and never calls them.',
      severity: 'error',
      from: { path: '^src/resolvers/' },
      to: {
        path: '^src/(schema|http|jobs|cli)/|^src/(services|app|main)\\.ts$|^(graphql|@pothos)',
      },
    },
    {
      name: 'schema-holds-no-sql',
      comment: 'schema/ declares the GraphQL API; queries live in resolvers/.',
      severity: 'error',
      from: { path: '^src/schema/' },
      to: {
        path: '^(drizzle-orm|postgres|@electric-sql)|^src/db/(client|raw|migrate|pg-array)\\.ts$',
      },
    },
    {
      name: 'foundations-stay-below',
      comment: 'auth/, live/, db/ and the leaf files never reach up into domains or edges.',
      severity: 'error',
      from: { path: '^src/(auth|live|db)/|^src/(config|errors|logger|validation)\\.ts$' },
      to: { path: '^src/(resolvers|schema|http|jobs|cli)/' },
    },
    {
      name: 'no-test-code-outside-test',
      comment: 'Nothing outside test/ imports test code (the Stripe fake is a package of its own).',
      severity: 'error',
      from: { pathNot: '^test/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    // TypeScript 7 has no JavaScript API for dependency-cruiser yet: swc parses the sources, and
    // its extractor reports type-only imports as dependencies too (tsPreCompilationDeps would ask
    // for the TypeScript compiler and changes nothing with swc).
    parser: 'swc',
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/|/gql/' },
    moduleSystems: ['es6'],
  },
};
