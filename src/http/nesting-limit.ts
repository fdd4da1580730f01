import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Refuses, before parsing, a document nested deeper than `max` brackets and braces (strings and
 * comments aside). graphql-js parses list and object values recursively: `[[[…]]]` 2,000 deep
 * overflows the stack within the token limit, and the RangeError was answered 500 "Unexpected
 * error." This is a syntax error (400) that says why.
 */
export function useNestingLimit(max: number): Plugin {
  return {
    onParse({ params }) {
      const source = typeof params.source === 'string' ? params.source : params.source.body;
      const depth = deepestNesting(source, max);
      if (depth > max) {
        throw new GraphQLError(
          `Syntax Error: the document is nested more than ${max} levels deep`,
          {
            extensions: { code: 'GRAPHQL_PARSE_FAILED', http: { status: 400 } },
          },
        );
      }
    },
  };
}

/** The deepest nesting of [ { ( in a document, counted up to just past `stopAt`. */
function deepestNesting(source: string, stopAt: number): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < source.length && deepest <= stopAt; i++) {
    const char = source[i];
    if (char === '#') {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (char === '"') {
      i = endOfString(source, i);
    } else if (char === '[' || char === '{' || char === '(') {
      deepest = Math.max(deepest, ++depth);
    } else if (char === ']' || char === '}' || char === ')') {
      depth--;
    }
  }
  return deepest;
}

/** The index of the closing quote of the string (or block string) opening at `start`. */
function endOfString(source: string, start: number): number {
  if (source.startsWith('"""', start)) {
    const end = source.indexOf('"""', start + 3);
    return end === -1 ? source.length : end + 2;
  }
  for (let i = start + 1; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (source[i] === '"' || source[i] === '\n') return i;
  }
  return source.length;
}
