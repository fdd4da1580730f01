import type { FormObject } from './form.ts';
import type { State } from './state.ts';

type Method = 'GET' | 'POST' | 'DELETE';

export interface RouteContext {
  state: State;
  /** Parsed form body (POST) or query string (GET, DELETE), not yet validated. */
  raw: FormObject;
  /** The route pattern's capture groups (ids in the path). */
  ids: string[];
}

/** One API endpoint. Handlers are synchronous so a request's state change is atomic. */
export interface Route {
  method: Method;
  pattern: RegExp;
  handle(context: RouteContext): object;
}

export function findRoute(
  routes: Route[],
  method: string,
  path: string,
): { route: Route; ids: string[] } | null {
  for (const route of routes) {
    if (route.method !== method) continue;
    const match = route.pattern.exec(path);
    if (match) return { route, ids: match.slice(1).map((id) => decodeURIComponent(id ?? '')) };
  }
  return null;
}

/** The route's first path id (every route with an id has exactly one). */
export function pathId(context: RouteContext): string {
  const id = context.ids[0];
  if (id === undefined) throw new Error('route has no id');
  return id;
}
