import type { EmulatorRequest, EmulatorResponse, Service } from './exchange.ts';
import type { TokenClaims } from '../identity/tokens.ts';
import type { EmulatorCore } from '../core.ts';

/** The authenticated principal behind a request. */
export interface Caller {
  principalId: string;
  appId: string | undefined;
  kind: 'app' | 'user';
  claims: TokenClaims;
}

export interface RouteContext {
  core: EmulatorCore;
  /** Set for every route that is not anonymous. */
  caller: Caller | undefined;
  /** Named groups of the route's pattern, URL-decoded. */
  params: Record<string, string>;
}

export interface Route {
  /** Stable name used in request counts, fault matching and the docs, e.g. `arm.roleAssignments.list`. */
  name: string;
  method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE' | 'OPTIONS';
  service: Service;
  /** Matched against the canonical path, case-insensitively; named groups become params. */
  pattern: RegExp;
  /** ARM routes: the api-versions accepted (the installed SDKs' and the documented ones). */
  apiVersions?: readonly string[];
  /** Routes reachable without a bearer token (token endpoints, control surface). */
  anonymous?: boolean;
  handle(req: EmulatorRequest, ctx: RouteContext): EmulatorResponse | Promise<EmulatorResponse>;
}

/** Builds a case-insensitive, anchored pattern; `{name}` is one segment, `{name*}` any run of segments. */
export function path(template: string): RegExp {
  const source = template
    .split(/(\{[a-zA-Z]+\*?\})/)
    .map((part) => {
      const param = /^\{([a-zA-Z]+)(\*?)\}$/.exec(part);
      if (!param) return part.replace(/[.+?^$()|[\]\\]/g, '\\$&');
      return param[2] ? `(?<${param[1]}>.*)` : `(?<${param[1]}>[^/]+)`;
    })
    .join('');
  return new RegExp(`^${source}$`, 'i');
}

/** Graph routes answer on both /v1.0 and /beta. */
export const graphPath = (template: string) => path(`/{version}${template}`);

export function matchRoute(routes: readonly Route[], method: string, canonical: string): { route: Route; params: Record<string, string> } | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const match = route.pattern.exec(canonical);
    if (!match) continue;
    if (route.service === 'graph' && !/^(v1\.0|beta)$/i.test(match.groups?.['version'] ?? 'v1.0')) continue;
    const params: Record<string, string> = {};
    for (const [key, value] of Object.entries(match.groups ?? {})) params[key] = value === undefined ? '' : safeDecode(value);
    return { route, params };
  }
  return undefined;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
