/**
 * What a Microsoft Graph request costs in resource units of the identity and access service, by the table in
 * learn.microsoft.com graph/throttling-limits ("Identity and access service limits"), as landscape.md §3.2
 * records it. getByIds is 5 there; an older copy of the page said 3: the number sits here, in one place.
 */

/** First path segments (after /v1.0 or /beta) that the identity and access service answers. */
const IDENTITY_SEGMENTS = new Set([
  'applications',
  'contracts',
  'directory',
  'directoryobjects',
  'directoryroles',
  'domains',
  'groups',
  'me',
  'oauth2permissiongrants',
  'organization',
  'rolemanagement',
  'serviceprincipals',
  'subscribedskus',
  'users',
]);

/** Base costs the table lists (anything else is 1), matched against the path after the version. */
const BASE_COSTS: readonly { method: string; path: RegExp; cost: number }[] = [
  { method: 'GET', path: /^\/applications$/i, cost: 2 },
  { method: 'GET', path: /^\/applications\/[^/]+\/extensionProperties$/i, cost: 2 },
  { method: 'GET', path: /^\/contracts$/i, cost: 3 },
  { method: 'POST', path: /^\/directoryObjects\/getByIds$/i, cost: 5 },
  { method: 'GET', path: /^\/domains\/[^/]+\/domainNameReferences$/i, cost: 4 },
  { method: 'GET', path: /^\/groups\/[^/]+\/members(\/[^/]+)?$/i, cost: 3 },
  { method: 'GET', path: /^\/groups\/[^/]+\/transitiveMembers(\/[^/]+)?$/i, cost: 5 },
  { method: 'GET', path: /^\/(me|users\/[^/]+)\/(licenseDetails|memberOf|ownedObjects|transitiveMemberOf)$/i, cost: 2 },
  { method: 'POST', path: /^\/(me|users\/[^/]+)\/(checkMemberGroups|checkMemberObjects)$/i, cost: 4 },
  { method: 'POST', path: /^\/(me|users\/[^/]+)\/(getMemberGroups|getMemberObjects)$/i, cost: 2 },
  { method: 'GET', path: /^\/oauth2PermissionGrants(\/[^/]+)?$/i, cost: 2 },
  { method: 'GET', path: /^\/servicePrincipals\/[^/]+\/appRoleAssignments$/i, cost: 2 },
  { method: 'GET', path: /^\/subscribedSkus$/i, cost: 3 },
  { method: 'GET', path: /^\/users$/i, cost: 2 },
];

/** The path after `/v1.0` or `/beta`, or undefined for a request the identity and access service does not answer. */
export function identityPath(canonicalPath: string): string | undefined {
  const match = /^\/(?:v1\.0|beta)(\/.*)$/i.exec(canonicalPath);
  if (!match) return undefined;
  const path = match[1]!;
  // servicePrincipals(appId='...') counts as servicePrincipals; mail goes to Outlook, which has its own limits.
  const segment = path.split('/')[1]!.replace(/\(.*$/, '').toLowerCase();
  if (!IDENTITY_SEGMENTS.has(segment) || /\/sendMail$/i.test(path)) return undefined;
  return path;
}

/** Resource units for one request: the base cost, $select -1, $expand +1, $top under 20 -1, never below 1. */
export function resourceUnits(method: string, path: string, query: URLSearchParams): number {
  let cost = BASE_COSTS.find((entry) => entry.method === method && entry.path.test(path))?.cost ?? 1;
  if (query.has('$select')) cost -= 1;
  if (query.has('$expand')) cost += 1;
  const top = Number(query.get('$top') ?? Number.NaN);
  if (Number.isFinite(top) && top < 20) cost -= 1;
  return Math.max(1, cost);
}
