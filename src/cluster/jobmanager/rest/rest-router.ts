/**
 * A small path router for the REST API: routes are `METHOD /a/:param/b`, matched segment by
 * segment. It tells "no such path" (404) from "path exists, method not allowed" (405).
 */
import type { IncomingMessage } from 'node:http';

/** What a handler gets. */
export interface RestRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Raw request body (empty for none). */
  body: string;
  raw: IncomingMessage;
}

/** What a handler answers: a status and a JSON body, or raw text. */
export interface RestResponse {
  status: number;
  body?: unknown;
  /** Sent as is with `contentType` instead of JSON. */
  text?: string;
  contentType?: string;
}

/** A route handler. */
export type RestHandler = (req: RestRequest) => RestResponse | Promise<RestResponse>;

interface Route {
  method: string;
  segments: string[];
  handler: RestHandler;
}

/** Result of {@link RestRouter.match}. */
export type RouteMatch =
  | { kind: 'found'; handler: RestHandler; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'not-found' };

/** Method + path pattern → handler. */
export class RestRouter {
  private readonly routes: Route[] = [];

  /** Adds a route; `pattern` segments starting with `:` capture a parameter. */
  add(method: string, pattern: string, handler: RestHandler): this {
    this.routes.push({ method: method.toUpperCase(), segments: split(pattern), handler });
    return this;
  }

  /** Finds the handler of `method path`. */
  match(method: string, path: string): RouteMatch {
    const segments = split(path);
    const allowed: string[] = [];
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { kind: 'found', handler: route.handler, params };
      allowed.push(route.method);
    }
    return allowed.length > 0 ? { kind: 'method-not-allowed', allowed } : { kind: 'not-found' };
  }
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

function matchSegments(pattern: string[], actual: string[]): Record<string, string> | undefined {
  if (pattern.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    let a: string;
    try {
      a = decodeURIComponent(actual[i]!);
    } catch {
      return undefined;
    }
    if (p.startsWith(':')) params[p.slice(1)] = a;
    else if (p !== a) return undefined;
  }
  return params;
}
