import { EnvelopArmor } from '@escape.tech/graphql-armor';
import type { GraphQLArmorRejectCallback } from '@escape.tech/graphql-armor-types';
import { type ExecutionResult, GraphQLError, NoSchemaIntrospectionCustomRule } from 'graphql';
import { type Plugin, usePayloadFormatter } from 'graphql-yoga';
import type { Config } from '../config.ts';
import { useNestingLimit } from './nesting-limit.ts';

/** Brackets and braces in a document: far beyond any real query, far below the parser's limit. */
const MAX_NESTING = 64;

/**
 * Limits against hostile documents: depth, cost, aliases, directives and tokens. A refused
 * document is reported like any other invalid one (code GRAPHQL_VALIDATION_FAILED, HTTP 400 for
 * application/graphql-response+json clients) instead of armor's default of throwing a bare
 * error, which Yoga would answer with 200.
 */
export function armorPlugins(
  limits: Config['graphql'],
  options: { suggestions: boolean },
): Plugin[] {
  const report = { propagateOnRejection: false, onReject: [reportAsInvalid] };
  const armor = new EnvelopArmor({
    maxDepth: { n: limits.maxDepth, ...report },
    costLimit: { maxCost: limits.maxCost, ...report },
    maxAliases: { n: limits.maxAliases, ...report },
    maxDirectives: { n: 20, ...report },
    // Counted while parsing, before there is a validation context: armor throws a syntax error.
    maxTokens: { n: limits.maxTokens },
    // Armor's only covers `Did you mean "x"?` in validation errors: useHiddenSchema does them all.
    blockFieldSuggestion: { enabled: false },
  }).protect().plugins;
  return [
    // Before armor's token count: deep values overflow graphql-js' recursive parser sooner.
    useNestingLimit(MAX_NESTING),
    ...(armor as Plugin[]),
    ...useHiddenSchema({ introspection: limits.introspection, suggestions: options.suggestions }),
  ];
}

const reportAsInvalid: GraphQLArmorRejectCallback = (context, error) => {
  context?.reportError(
    new GraphQLError(error.message.replace(/^Syntax Error: /, ''), {
      nodes: error.nodes,
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400, spec: true } },
    }),
  );
};

/**
 * What the schema tells strangers. Without `introspection`, `__schema` and `__type` are refused
 * as invalid (`__typename` stays). Without `suggestions`, no error says "Did you mean …?": not
 * for fields, arguments, types, input fields (validation) nor enum values and input fields of
 * variables (coerced at execution), over HTTP and WebSocket alike.
 */
function useHiddenSchema(options: { introspection: boolean; suggestions: boolean }): Plugin[] {
  const introspection: Plugin = {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
  const validationSuggestions: Plugin = {
    onValidate: () =>
      function hideSuggestions({ valid, result, setResult }) {
        if (!valid) setResult(result.map(withoutSuggestion));
      },
  };
  const executionSuggestions = usePayloadFormatter((result: ExecutionResult) =>
    result.errors?.some(hasSuggestion)
      ? { ...result, errors: result.errors.map(withoutSuggestion) }
      : false,
  );
  return [
    ...(options.introspection ? [] : [introspection]),
    ...(options.suggestions ? [] : [validationSuggestions, executionSuggestions as Plugin]),
  ];
}

/** graphql-js' didYouMean: ` Did you mean "a", "b", or "c"?`, ` Did you mean the enum value "A"?`. */
const SUGGESTION = / ?Did you mean [^?]*\?/g;

const hasSuggestion = (error: GraphQLError) => error.message.search(SUGGESTION) !== -1;

function withoutSuggestion<E extends Error>(error: E): E | GraphQLError {
  const message = error.message.replace(SUGGESTION, '');
  if (message === error.message || !(error instanceof GraphQLError)) return error;
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: error.extensions,
  });
}
