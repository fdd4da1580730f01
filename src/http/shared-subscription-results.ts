import {
  createSourceEventStream,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
} from 'graphql';
import { isAsyncIterable, mapAsyncIterator, type Plugin } from 'graphql-yoga';
import type { RequestContext } from '../context.ts';

/**
 * Live events go to many subscribers at once: an organization's usage change reaches every
 * dashboard of that organization. GraphQL would run the subscription's selection set once per
 * subscriber per event; this runs it once per event for each group of subscribers that must get
 * the same answer (same organization, role, operation and variables) and hands all of them that
 * result. Authorization is decided when subscribing (scope-auth's authorizeOnSubscribe), and the
 * payload types of subscriptions carry no per-key fields, so the shared result is the one each
 * would have computed.
 */
export function useSharedSubscriptionResults(): Plugin<RequestContext> {
  const results = new WeakMap<object, Map<string, Promise<ExecutionResult> | ExecutionResult>>();
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(async (args: ExecutionArgs) => {
        const source = await createSourceEventStream(args);
        if (!isAsyncIterable(source)) return source as ExecutionResult;
        const group = groupOf(args);
        return mapAsyncIterator(source as AsyncIterable<unknown>, (payload) => {
          if (payload === null || typeof payload !== 'object')
            return execute({ ...args, rootValue: payload });
          let forPayload = results.get(payload);
          if (!forPayload) {
            forPayload = new Map();
            results.set(payload, forPayload);
          }
          let result = forPayload.get(group);
          if (!result) {
            result = execute({ ...args, rootValue: payload });
            forPayload.set(group, result);
          }
          return result;
        });
      });
    },
  };
}

const documentIds = new WeakMap<object, number>();
let nextDocumentId = 0;

function groupOf(args: ExecutionArgs): string {
  const ctx = args.contextValue as Partial<RequestContext> | undefined;
  // Yoga's parse cache hands the same document object to every subscriber of the same query.
  let documentId = documentIds.get(args.document);
  if (documentId === undefined) {
    documentId = nextDocumentId++;
    documentIds.set(args.document, documentId);
  }
  return [
    documentId,
    args.operationName ?? '',
    JSON.stringify(args.variableValues ?? {}),
    ctx?.principal?.role ?? '',
    ctx?.principal?.organizationId ?? '',
  ].join('\u0000');
}
