import type { ObjectRef } from '@pothos/core';
import type { Connection } from '../resolvers/common/pagination.ts';
import { type BuilderTypes, builder } from './builder.ts';

/** Relay-style connections as the contract writes them; arguments `first: Int = 20, after: String`. */
const PageInfo = builder.objectRef<Connection<unknown>['pageInfo']>('PageInfo').implement({
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    hasPreviousPage: t.exposeBoolean('hasPreviousPage'),
    startCursor: t.exposeString('startCursor', { nullable: true }),
    endCursor: t.exposeString('endCursor', { nullable: true }),
  }),
});

/** `<Node>Connection` and `<Node>Edge` for a node type. */
export function connectionType<T>(nodeName: string, node: ObjectRef<BuilderTypes, T>) {
  const Edge = builder.objectRef<Connection<T>['edges'][number]>(`${nodeName}Edge`).implement({
    fields: (t) => ({
      cursor: t.exposeString('cursor'),
      // T is generic here, so Pothos cannot relate it to the ref's shape; the ref is T's.
      node: t.field({ type: node, resolve: (edge) => edge.node as never }),
    }),
  });
  return builder.objectRef<Connection<T>>(`${nodeName}Connection`).implement({
    fields: (t) => ({
      edges: t.field({ type: [Edge], resolve: (connection) => connection.edges }),
      pageInfo: t.field({ type: PageInfo, resolve: (connection) => connection.pageInfo }),
    }),
  });
}
