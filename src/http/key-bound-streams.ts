import { type ExecutionResult, GraphQLError } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { RequestContext } from '../context.ts';
import type { KeyBoundConnections } from './key-watch.ts';

/**
 * The subscriptions served over HTTP (Server-Sent Events), by the key that opened them, so that
 * revoking a key ends them as it closes the key's graphql-ws sockets. A stream is ended with one
 * last result saying why (FORBIDDEN), then completes; the client's next request is refused.
 */
export class KeyBoundStreams implements KeyBoundConnections {
  readonly #byKey = new Map<string, Set<() => void>>();

  keyIds(): string[] {
    return [...this.#byKey.keys()];
  }

  endKey(keyId: string): void {
    const ends = this.#byKey.get(keyId);
    this.#byKey.delete(keyId);
    for (const end of ends ?? []) end();
  }

  /** The plugin that hands every HTTP subscription of a key to this registry. */
  plugin(): Plugin<RequestContext> {
    return {
      onSubscribe: ({ args }) => ({
        onSubscribeResult: ({ result, setResult }) => {
          const context = args.contextValue as RequestContext & { request?: Request };
          // graphql-ws operations carry no request: their socket is closed instead.
          const keyId = context.request ? context.principal?.keyId : undefined;
          if (keyId && isAsyncIterable(result)) setResult(this.#track(keyId, result));
        },
      }),
    };
  }

  #track(
    keyId: string,
    source: AsyncIterableIterator<ExecutionResult>,
  ): AsyncIterableIterator<ExecutionResult> {
    let revoke: () => void = () => {};
    const revoked = new Promise<typeof REVOKED>((resolve) => {
      revoke = () => resolve(REVOKED);
    });
    let finished = false;
    const ends = this.#byKey.get(keyId) ?? new Set();
    ends.add(revoke);
    this.#byKey.set(keyId, ends);
    const finish = async (): Promise<IteratorResult<ExecutionResult>> => {
      if (!finished) {
        finished = true;
        ends.delete(revoke);
        if (ends.size === 0 && this.#byKey.get(keyId) === ends) this.#byKey.delete(keyId);
        await source.return?.();
      }
      return { value: undefined, done: true };
    };
    return {
      next: async () => {
        if (finished) return { value: undefined, done: true };
        const next = await Promise.race([source.next(), revoked]);
        if (next === REVOKED) {
          await finish();
          return { value: { errors: [revokedError()] }, done: false };
        }
        if (next.done) await finish();
        return next;
      },
      return: finish,
      throw: async (error: unknown) => {
        await finish();
        throw error;
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }
}

const REVOKED = Symbol('revoked');

function revokedError(): GraphQLError {
  return new GraphQLError('Forbidden: the API key was revoked', {
    extensions: { code: 'FORBIDDEN' },
  });
}
