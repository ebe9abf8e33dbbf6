import { authorize } from '../emulator/authz/rbac.ts';
import type { ArmPageSizes } from '../emulator/arm/paging.ts';
import type { Tenant } from '../emulator/state/tenant.ts';
import { parseScope } from '../emulator/state/ids.ts';

/** Resource Graph answers at most 1,000 rows a page. */
const RESOURCE_GRAPH_PAGE = 1_000;
/** Microsoft Graph directory lists answer at most 999 items a page ($top=999). */
const GRAPH_PAGE = 999;
/** Microsoft Graph pages a list that takes no $top at 100 items. */
const GRAPH_DEFAULT_PAGE = 100;
/** `directoryObjects/getByIds` takes at most 1,000 ids a call. */
const GET_BY_IDS_BATCH = 1_000;
/** ARM lists resources 1,000 a page with `$top=1000`. */
const ARM_RESOURCE_PAGE = 1_000;

/** Pages needed for `items` at `pageSize` a page: a list is one call even when it comes back empty. */
const pages = (items: number, pageSize: number) => Math.max(1, Math.ceil(items / pageSize));

/** The fewest calls for one part of the inventory, with what the number is made of. */
export interface BoundPart {
  calls: number;
  /** Which endpoint family of the emulator's request counts this part is (`resourceGraph.resources`, `arm.userAssignedIdentities`, ...). */
  endpoint: string;
  why: string;
}

/**
 * The fewest API calls that read what a sweep must read about this tenant, whatever the implementation:
 *
 *   Resource Graph  ⌈subscriptions/1000⌉ + ⌈role assignments/1000⌉ + ⌈role definitions/1000⌉ + ⌈resources with an identity/1000⌉
 *                   (one query per table and type the snapshot needs, at least one page each)
 *   ARM             Σ over subscriptions ⌈user-assigned identities in it / identity page size⌉ (at least 1: their creation time
 *                   is only in ARM), + Σ over subscriptions holding a system-assigned identity ⌈resources in it / 1000⌉
 *                   (resource creation times are only in ARM's list with $expand=createdTime), + when some assignments are
 *                   above every scope the bot can read (Resource Graph hides those), one atScope() list per topmost readable
 *                   management group ⌈assignments at and above it / role assignment page size⌉
 *   Graph           ⌈managed-identity service principals/999⌉ + 1 (Microsoft Graph's service principal) + ⌈its app-role grants/999⌉
 *                   + ⌈directory role definitions/100⌉ + ⌈directory role assignments/100⌉ (no $top) + ⌈sign-in activities/999⌉
 *                   + ⌈principals named by assignments that are not managed identities/1000⌉ (getByIds)
 *                   + ⌈soft-deleted service principals/999⌉ when some principal is missing
 *                   + Σ over groups holding an Azure or directory role ⌈transitive members/999⌉
 *
 * Token requests are not counted (a token serves an hour of calls). `pageSizes` are the emulator's ARM page sizes.
 */
export function lowerBound(tenant: Tenant, botPrincipalId: string, pageSizes: ArmPageSizes): { total: number; parts: BoundPart[] } {
  const subscriptions = [...tenant.subscriptions.values()];
  const resources = [...tenant.resources.values()];
  const assignments = [...tenant.roleAssignments.values()];
  const withIdentity = resources.filter((resource) => resource.identity !== undefined);
  const subscriptionOf = (id: string) => parseScope(id)?.subscriptionId?.toLowerCase();
  const count = <T>(items: T[], key: (item: T) => string | undefined) => {
    const counts = new Map<string, number>();
    for (const item of items) {
      const k = key(item);
      if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    return counts;
  };
  const identitiesPerSubscription = count([...tenant.userAssignedIdentities.values()], (identity) => subscriptionOf(identity.id));
  const resourcesPerSubscription = count(resources, (resource) => subscriptionOf(resource.id));
  const systemAssignedSubscriptions = new Set(withIdentity.filter((resource) => resource.identity?.systemAssigned).map((resource) => subscriptionOf(resource.id)));

  const managedIdentities = [...tenant.servicePrincipals.values()].filter((principal) => principal.servicePrincipalType === 'ManagedIdentity');
  const managedIdentityIds = new Set(managedIdentities.map((principal) => principal.id.toLowerCase()));
  const directoryAssignments = [...tenant.directoryRoleAssignments.values()];
  const referenced = new Set([...assignments.map((a) => a.principalId.toLowerCase()), ...directoryAssignments.map((a) => a.principalId.toLowerCase())]);
  const toResolve = [...referenced].filter((id) => !managedIdentityIds.has(id));
  const missing = toResolve.filter((id) => tenant.directoryObject(id) === undefined);
  const graphId = tenant.microsoftGraph.id.toLowerCase();
  const graphGrants = [...tenant.appRoleAssignments.values()].filter((grant) => grant.resourceId.toLowerCase() === graphId);
  const privilegedGroups = [
    ...new Set([
      ...assignments.filter((a) => a.principalType === 'Group').map((a) => a.principalId.toLowerCase()),
      ...directoryAssignments.map((a) => a.principalId.toLowerCase()),
    ]),
  ].filter((id) => tenant.groups.has(id));

  const parts: BoundPart[] = [
    { endpoint: 'resourceGraph.resources', calls: pages(subscriptions.length, RESOURCE_GRAPH_PAGE), why: `${subscriptions.length} subscriptions` },
    { endpoint: 'resourceGraph.resources', calls: pages(assignments.length, RESOURCE_GRAPH_PAGE), why: `${assignments.length} role assignments` },
    { endpoint: 'resourceGraph.resources', calls: pages(tenant.roleDefinitions.size, RESOURCE_GRAPH_PAGE), why: `${tenant.roleDefinitions.size} role definitions` },
    { endpoint: 'resourceGraph.resources', calls: pages(withIdentity.length, RESOURCE_GRAPH_PAGE), why: `${withIdentity.length} resources with an identity` },
    {
      endpoint: 'arm.userAssignedIdentities',
      calls: subscriptions.reduce((sum, s) => sum + pages(identitiesPerSubscription.get(s.subscriptionId.toLowerCase()) ?? 0, pageSizes.userAssignedIdentities), 0),
      why: `user-assigned identities of ${subscriptions.length} subscriptions, ${pageSizes.userAssignedIdentities} a page`,
    },
    {
      endpoint: 'arm.resources',
      calls: [...systemAssignedSubscriptions].reduce((sum, s) => sum + pages(resourcesPerSubscription.get(s!) ?? 0, ARM_RESOURCE_PAGE), 0),
      why: `creation times in ${systemAssignedSubscriptions.size} subscriptions with system-assigned identities`,
    },
    inheritedAssignmentsPart(tenant, botPrincipalId, pageSizes),
    { endpoint: 'graph.servicePrincipals', calls: pages(managedIdentities.length, GRAPH_PAGE), why: `${managedIdentities.length} managed-identity service principals` },
    { endpoint: 'graph.servicePrincipals', calls: 1, why: "Microsoft Graph's service principal (its app roles)" },
    { endpoint: 'graph.servicePrincipals', calls: pages(graphGrants.length, GRAPH_PAGE), why: `${graphGrants.length} Graph app-role grants` },
    // Graph documents no $top for the directory's role lists: they come at the default page size.
    { endpoint: 'graph.roleManagement', calls: pages(tenant.directoryRoles.size, GRAPH_DEFAULT_PAGE), why: `${tenant.directoryRoles.size} directory role definitions` },
    { endpoint: 'graph.roleManagement', calls: pages(directoryAssignments.length, GRAPH_DEFAULT_PAGE), why: `${directoryAssignments.length} directory role assignments` },
    { endpoint: 'graph.signInActivities', calls: pages(tenant.lastSignIn.size, GRAPH_PAGE), why: `${tenant.lastSignIn.size} sign-in activities` },
    { endpoint: 'graph.directoryObjects', calls: toResolve.length === 0 ? 0 : pages(toResolve.length, GET_BY_IDS_BATCH), why: `${toResolve.length} principals to look up` },
    {
      endpoint: 'graph.deletedItems',
      calls: missing.length === 0 ? 0 : pages(tenant.deletedServicePrincipals.size, GRAPH_PAGE),
      why: `${missing.length} principals missing, ${tenant.deletedServicePrincipals.size} soft-deleted service principals`,
    },
    {
      endpoint: 'graph.groups',
      calls: privilegedGroups.reduce((sum, id) => sum + pages(transitiveMemberCount(tenant, id), GRAPH_PAGE), 0),
      why: `members of ${privilegedGroups.length} groups holding a role`,
    },
  ];
  return { total: parts.reduce((sum, part) => sum + part.calls, 0), parts };
}

/** Assignments Resource Graph does not show the bot (above what it may read) come from ARM, once per topmost readable group. */
function inheritedAssignmentsPart(tenant: Tenant, botPrincipalId: string, pageSizes: ArmPageSizes): BoundPart {
  const READ = 'Microsoft.Authorization/roleAssignments/read';
  const identities = tenant.securityIdentities(botPrincipalId);
  const readable = (scope: string) => authorize(tenant, botPrincipalId, READ, scope, { identities }).allowed;
  const hidden = [...tenant.roleAssignments.values()].filter((assignment) => !readable(assignment.scope));
  if (hidden.length === 0) return { endpoint: 'arm.roleAssignments', calls: 0, why: 'the bot reads every assignment through Resource Graph' };
  const topmost = new Set<string>();
  for (const subscription of tenant.subscriptions.values()) {
    const groups = tenant.ancestors(`/subscriptions/${subscription.subscriptionId}`).filter((scope) => parseScope(scope)?.kind === 'managementGroup' && readable(scope));
    const highest = groups.at(-1);
    if (highest) topmost.add(highest);
  }
  const calls = [...topmost].reduce((sum, scope) => sum + pages(tenant.listRoleAssignments(scope, { atScope: true }).length, pageSizes.roleAssignments), 0);
  return { endpoint: 'arm.roleAssignments', calls, why: `${hidden.length} assignments above what the bot reads, listed at ${topmost.size} management group(s)` };
}

function transitiveMemberCount(tenant: Tenant, groupId: string): number {
  const seen = new Set<string>();
  const pending = [groupId.toLowerCase()];
  while (pending.length > 0) {
    for (const member of tenant.groups.get(pending.pop()!)?.members ?? []) {
      const key = member.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      if (tenant.groups.has(key)) pending.push(key);
    }
  }
  return seen.size;
}
