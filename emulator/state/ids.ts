import { createHash } from 'node:crypto';

/** ARM ids compare case-insensitively; this is the one key form the state uses for maps. */
export const idKey = (id: string) => canonicalPath(id).toLowerCase();

/** Collapses repeated slashes and drops a trailing slash (the root scope stays "/"). */
export function canonicalPath(path: string): string {
  const collapsed = path.replace(/\/{2,}/g, '/');
  const withLeading = collapsed.startsWith('/') ? collapsed : `/${collapsed}`;
  return withLeading.length > 1 ? withLeading.replace(/\/$/, '') : withLeading;
}

export type ScopeKind = 'root' | 'managementGroup' | 'subscription' | 'resourceGroup' | 'resource';

export interface ParsedScope {
  kind: ScopeKind;
  /** The scope in canonical casing as given. */
  scope: string;
  managementGroup?: string;
  subscriptionId?: string;
  resourceGroup?: string;
  /** For resources: provider namespace, the type path (e.g. "sites" or "servers/databases") and the name. */
  provider?: string;
  resourceType?: string;
  name?: string;
}

const MANAGEMENT_GROUP = /^\/providers\/Microsoft\.Management\/managementGroups\/([^/]+)$/i;
const SUBSCRIPTION = /^\/subscriptions\/([^/]+)$/i;
const RESOURCE_GROUP = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)$/i;
const RESOURCE = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/([^/]+)\/(.+)$/i;

/** Understands the five kinds of ARM scope; undefined for anything else. */
export function parseScope(raw: string): ParsedScope | undefined {
  const scope = canonicalPath(raw);
  if (scope === '/') return { kind: 'root', scope };
  let match = MANAGEMENT_GROUP.exec(scope);
  if (match) return { kind: 'managementGroup', scope, managementGroup: match[1]! };
  match = SUBSCRIPTION.exec(scope);
  if (match) return { kind: 'subscription', scope, subscriptionId: match[1]! };
  match = RESOURCE_GROUP.exec(scope);
  if (match) return { kind: 'resourceGroup', scope, subscriptionId: match[1]!, resourceGroup: match[2]! };
  match = RESOURCE.exec(scope);
  if (match) {
    const segments = match[4]!.split('/');
    // type/name pairs: sites/app1 or servers/s1/databases/db1
    if (segments.length % 2 !== 0 || segments.some((s) => s.length === 0)) return undefined;
    const types = segments.filter((_, i) => i % 2 === 0);
    return {
      kind: 'resource',
      scope,
      subscriptionId: match[1]!,
      resourceGroup: match[2]!,
      provider: match[3]!,
      resourceType: types.join('/'),
      name: segments[segments.length - 1]!,
    };
  }
  return undefined;
}

/** `Microsoft.Web/sites` for a resource scope. */
export const fullResourceType = (parsed: ParsedScope) => `${parsed.provider}/${parsed.resourceType}`;

/** Stable GUID-shaped id derived from its parts, so seeds without ids load the same way every time. */
export function deriveGuid(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
