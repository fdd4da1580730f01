import { EnvelopArmor } from '@escape.tech/graphql-armor';
import type { GraphQLArmorRejectCallback } from '@escape.tech/graphql-armor-types';
import { GraphQLError } from 'graphql';
import type { Config } from '../config.ts';

/**
 * Limits against hostile documents: depth, cost, aliases, directives and tokens. A refused
 * document is reported like any other invalid one (code GRAPHQL_VALIDATION_FAILED, HTTP 400 for
 * application/graphql-response+json clients) instead of armor's default of throwing a bare
 * error, which Yoga would answer with 200.
 */
export function armorPlugins(limits: Config['graphql'], options: { suggestFields: boolean }) {
  const report = { propagateOnRejection: false, onReject: [reportAsInvalid] };
  return new EnvelopArmor({
    maxDepth: { n: limits.maxDepth, ...report },
    costLimit: { maxCost: limits.maxCost, ...report },
    maxAliases: { n: limits.maxAliases, ...report },
    maxDirectives: { n: 20, ...report },
    // Counted while parsing, before there is a validation context: armor throws a syntax error.
    maxTokens: { n: limits.maxTokens },
    // "Did you mean ...?" describes the schema to strangers; keep it for development.
    blockFieldSuggestion: { enabled: !options.suggestFields },
  }).protect().plugins;
}

const reportAsInvalid: GraphQLArmorRejectCallback = (context, error) => {
  context?.reportError(
    new GraphQLError(error.message.replace(/^Syntax Error: /, ''), {
      nodes: error.nodes,
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400, spec: true } },
    }),
  );
};
