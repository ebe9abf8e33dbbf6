import type { AzureClients } from '../azure/clients.ts';
import { AzureApiError } from '../azure/errors.ts';
import { Directory } from '../azure/directory.ts';
import { ManagedIdentities } from '../azure/managed-identities.ts';
import { collect, graphPages } from '../azure/graph-paging.ts';
import { callAzure } from '../azure/errors.ts';
import { parseResponse } from '../azure/response.ts';
import type { InventoryGap, PrincipalRecord, PrincipalState, Snapshot, UserAssignedIdentityRecord } from '../model/snapshot.ts';
import { IDENTITY_HOLDERS_QUERY, ROLE_ASSIGNMENTS_QUERY, ROLE_DEFINITIONS_QUERY, SUBSCRIPTIONS_QUERY } from './queries.ts';
import { queryResourceGraph, type GraphScope } from './resource-graph.ts';
import * as rows from './records.ts';
import { readInheritedAssignments } from './inherited-assignments.ts';
import { readCreationTimes } from './creation-times.ts';
import { mapConcurrently } from './concurrency.ts';
import { unreadRoleDefinitionsGap } from './unread-role-definitions.ts';

export const MICROSOFT_GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
const PAGE = 999;
/** ARM lists (one or more per subscription) read at once: hundreds of requests opened together only queue up. */
const ARM_READS_AT_ONCE = 16;
/** Group member lists read at once (4 resource units each, against Graph's 8,000 per 10 s). */
const GROUP_READS_AT_ONCE = 8;

export interface InventoryOptions {
  /** Limit the sweep to these subscriptions, or to a management group and what is below it; the whole tenant the bot can read when neither is given. */
  subscriptions?: string[];
  managementGroup?: string;
  now: Date;
  tenantId: string;
  /** Told what is being read, for a progress line on a terminal. */
  progress?: (step: string) => void;
}

/**
 * Builds one snapshot with as few calls as the platform allows: Resource Graph for assignments, definitions and
 * identity holders (1000 rows a page), one ARM list per subscription for user-assigned identities (for their
 * creation time), Graph lists for managed-identity principals, Graph app-role grants, directory roles and sign-ins,
 * and getByIds (1000 ids a call) for the principals assignments name. A failed area becomes a gap, and the
 * objects it would have told us about stay `unknown`, never deleted.
 */
export async function buildSnapshot(clients: AzureClients, options: InventoryOptions): Promise<Snapshot> {
  const gaps: InventoryGap[] = [];
  const attempt = async <T>(area: InventoryGap['area'], fallback: T, work: () => Promise<T>, scope?: string): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      gaps.push(gapFrom(area, error, scope));
      return fallback;
    }
  };
  const scope: GraphScope = options.subscriptions
    ? { subscriptions: options.subscriptions }
    : options.managementGroup
      ? { managementGroups: [options.managementGroup] }
      : { tenant: true };

  const progress = options.progress ?? (() => undefined);
  progress('subscriptions');
  const subscriptions = await attempt('resources', [] as Snapshot['subscriptions'], async () =>
    (await collect(queryResourceGraph(clients, SUBSCRIPTIONS_QUERY, scope, rows.subscriptionRow, 'resources.subscriptions'))).map((s) => ({
      subscriptionId: s.subscriptionId.toLowerCase(),
      displayName: s.name ?? null,
      managementGroupChain: (s.properties?.managementGroupAncestorsChain ?? []).map((group) => group.name),
    })),
  );
  // Reads that need no Resource Graph answer start now and run while it pages: its quota of 15 queries per 5 seconds
  // makes that paging the longest part of a large sweep (about 40 s for 100,000 role assignments).
  progress(`role assignments, role definitions, identities and directory data for ${subscriptions.length} subscriptions`);
  const userAssignedIdentitiesRead = mapConcurrently(subscriptions, ARM_READS_AT_ONCE, (subscription) =>
    attempt('identities', [] as UserAssignedIdentityRecord[], () => new ManagedIdentities(clients).listUserAssigned(subscription.subscriptionId), `/subscriptions/${subscription.subscriptionId}`),
  );
  const graph = await clients.graph();
  const directoryRead = Promise.all([
    attempt('servicePrincipals', [] as PrincipalRecord[], () =>
      collect(
        graphPages(
          graph,
          () => graph.api('/servicePrincipals').filter("servicePrincipalType eq 'ManagedIdentity'").select(['id', 'appId', 'displayName', 'servicePrincipalType', 'alternativeNames']).top(PAGE).get(),
          rows.servicePrincipalItem,
          { service: 'graph', operation: 'servicePrincipals.list' },
        ),
      ),
    ),
    attempt('appRoleGrants', [] as Snapshot['appRoleGrants'], () => readGraphAppRoleGrants(clients)),
    attempt('directoryRoles', { assignments: [] as Snapshot['directoryRoleAssignments'] }, () => readDirectoryRoles(clients)),
    attempt('signIns', null as Snapshot['lastSignIns'], () => readSignIns(clients)),
  ]);
  const [graphAssignments, inheritedAssignments, roleDefinitions, identityHolders] = await Promise.all([
    attempt('roleAssignments', [], () => collect(queryResourceGraph(clients, ROLE_ASSIGNMENTS_QUERY, scope, rows.roleAssignmentRow, 'authorizationresources.roleAssignments'))),
    attempt('roleAssignments', [], () => readInheritedAssignments(clients, subscriptions)),
    // Always tenant-wide: a custom role lives at its first assignable scope, often a management group above the swept
    // subscriptions, where a subscription-scoped query does not look; its assignments would be judged without it.
    attempt('roleDefinitions', [], () => collect(queryResourceGraph(clients, ROLE_DEFINITIONS_QUERY, { tenant: true }, rows.roleDefinitionRow, 'authorizationresources.roleDefinitions'))),
    // Creation times follow as soon as the holders are known, while the role assignments still page.
    attempt('resources', [], () => collect(queryResourceGraph(clients, IDENTITY_HOLDERS_QUERY, scope, rows.identityHolderRow, 'resources.identityHolders'))).then(async (holders) => {
      const holderSubscriptions = new Set(holders.filter((h) => h.systemAssignedPrincipalId && !h.createdAt).map((h) => h.subscriptionId));
      const creationTimes = await mapConcurrently([...holderSubscriptions], ARM_READS_AT_ONCE, (subscriptionId) =>
        attempt('resources', new Map<string, string>(), () => readCreationTimes(clients, subscriptionId), `/subscriptions/${subscriptionId}`),
      );
      for (const holder of holders) {
        holder.createdAt ??= creationTimes.map((times) => times.get(holder.id.toLowerCase())).find((time) => time !== undefined) ?? null;
      }
      return holders;
    }),
  ]);
  const roleAssignments = mergeById([...graphAssignments, ...inheritedAssignments]);
  if (!gaps.some((gap) => gap.area === 'roleDefinitions')) {
    const unread = unreadRoleDefinitionsGap(roleAssignments, roleDefinitions);
    if (unread) gaps.push(unread);
  }
  const userAssignedIdentities = (await userAssignedIdentitiesRead).flat();
  const [managedIdentityPrincipals, appRoleGrants, directory, lastSignIns] = await directoryRead;
  const servicePrincipalsKnown = !gaps.some((gap) => gap.area === 'servicePrincipals');

  // Groups that hold something: their transitive members get the privilege too.
  const privilegedGroupIds = new Set([
    ...roleAssignments.filter((a) => a.principalType.toLowerCase() === 'group').map((a) => a.principalId),
    ...directory.assignments.map((d) => d.principalId.toLowerCase()),
  ]);
  progress('principals named by role assignments');
  const principals = await resolvePrincipals(clients, [...roleAssignments.map((a) => a.principalId), ...directory.assignments.map((d) => d.principalId)], managedIdentityPrincipals, servicePrincipalsKnown, gaps);
  const groupIds = [...privilegedGroupIds].filter((id) => {
    const state = principals[id];
    return state?.state === 'found' && state.principal.kind === 'group';
  });
  const groups: Snapshot['groups'] = groupIds.map((groupId) => {
    const state = principals[groupId];
    return { id: groupId, displayName: state?.state === 'found' ? state.principal.displayName : null };
  });
  // Hundreds of groups may hold roles in a large tenant: their members are read a few groups at a time, not one after another.
  const membersOfGroups = await mapConcurrently(groupIds, GROUP_READS_AT_ONCE, (groupId) =>
    attempt('groups', [] as { id: string }[], () =>
      collect(graphPages(graph, () => graph.api(`/groups/${groupId}/transitiveMembers`).select(['id']).top(PAGE).get(), rows.memberItem, { service: 'graph', operation: 'groups.transitiveMembers', target: groupId })),
    groupId),
  );
  const memberOf: Record<string, string[]> = {};
  groupIds.forEach((groupId, index) => {
    for (const member of membersOfGroups[index]!) (memberOf[member.id.toLowerCase()] ??= []).push(groupId);
  });

  return {
    tenantId: options.tenantId,
    takenAt: options.now.toISOString(),
    subscriptions,
    managementGroups: [],
    roleDefinitions,
    roleAssignments,
    userAssignedIdentities,
    identityHolders,
    managedIdentityPrincipals,
    principals,
    appRoleGrants,
    directoryRoleAssignments: directory.assignments,
    groups,
    memberOf,
    lastSignIns,
    gaps,
  };
}

/** Directory state of every referenced principal: found, soft-deleted, absent, or unknown when a lookup failed. */
export async function resolvePrincipals(
  clients: AzureClients,
  referenced: string[],
  managedIdentities: PrincipalRecord[],
  managedIdentitiesKnown: boolean,
  gaps: InventoryGap[],
): Promise<Record<string, PrincipalState>> {
  const states: Record<string, PrincipalState> = {};
  for (const principal of managedIdentities) states[principal.id] = { state: 'found', principal };
  const toResolve = [...new Set(referenced.map((id) => id.toLowerCase()))].filter((id) => !states[id]);
  if (toResolve.length === 0) return states;
  const directory = new Directory(clients);
  let missing: string[];
  try {
    // A failed getByIds request leaves only its own batch unknown: the others' principals are judged.
    const resolution = await directory.resolvePrincipals(toResolve);
    for (const [id, object] of resolution.found) states[id] = { state: 'found', principal: rows.principalRecord(object) };
    for (const batch of resolution.failed) {
      gaps.push(gapFrom('principals', batch.error));
      for (const id of batch.ids) states[id] = { state: 'unknown', reason: describe(batch.error) };
    }
    missing = resolution.missing;
  } catch (error) {
    gaps.push(gapFrom('principals', error));
    for (const id of toResolve) states[id] = { state: 'unknown', reason: describe(error) };
    return states;
  }
  try {
    const deleted = await directory.deletedServicePrincipals(missing);
    for (const id of missing) {
      const entry = deleted.get(id);
      // A managed identity absent from the list we could not read is unknown, not absent.
      states[id] = entry
        ? { state: 'soft-deleted', displayName: entry.displayName, deletedDateTime: entry.deletedDateTime }
        : managedIdentitiesKnown
          ? { state: 'absent' }
          : { state: 'unknown', reason: 'managed-identity service principals could not be listed' };
    }
  } catch (error) {
    gaps.push(gapFrom('principals', error));
    for (const id of missing) states[id] = { state: 'unknown', reason: `deleted items could not be read: ${describe(error)}` };
  }
  return states;
}

async function readGraphAppRoleGrants(clients: AzureClients): Promise<Snapshot['appRoleGrants']> {
  const graph = await clients.graph();
  const context = { service: 'graph' as const, operation: 'servicePrincipals.getMicrosoftGraph' };
  const graphPrincipal = parseResponse(
    rows.graphServicePrincipalWithRoles,
    await callAzure(context, () => graph.api(`/servicePrincipals(appId='${MICROSOFT_GRAPH_APP_ID}')`).select(['id', 'appRoles']).get()),
    context,
  );
  const permissionOf = new Map(graphPrincipal.appRoles.map((role) => [role.id.toLowerCase(), role.value ?? null]));
  const grants = await collect(
    graphPages(graph, () => graph.api(`/servicePrincipals/${graphPrincipal.id}/appRoleAssignedTo`).top(PAGE).get(), rows.appRoleGrantItem, {
      service: 'graph',
      operation: 'servicePrincipals.appRoleAssignedTo',
      target: graphPrincipal.id,
    }),
  );
  return grants.map((grant) => ({
    id: grant.id,
    principalId: grant.principalId.toLowerCase(),
    resourceId: grant.resourceId.toLowerCase(),
    resourceDisplayName: grant.resourceDisplayName ?? null,
    appRoleId: grant.appRoleId.toLowerCase(),
    permission: permissionOf.get(grant.appRoleId.toLowerCase()) ?? null,
    createdDateTime: grant.createdDateTime ?? null,
  }));
}

async function readDirectoryRoles(clients: AzureClients): Promise<{ assignments: Snapshot['directoryRoleAssignments'] }> {
  const graph = await clients.graph();
  const definitions = await collect(
    graphPages(graph, () => graph.api('/roleManagement/directory/roleDefinitions').select(['id', 'displayName', 'templateId']).get(), rows.directoryRoleDefinitionItem, {
      service: 'graph',
      operation: 'roleManagement.directory.roleDefinitions',
    }),
  );
  const byId = new Map(definitions.map((d) => [d.id.toLowerCase(), d]));
  const assignments = await collect(
    graphPages(graph, () => graph.api('/roleManagement/directory/roleAssignments').get(), rows.directoryRoleAssignmentItem, {
      service: 'graph',
      operation: 'roleManagement.directory.roleAssignments',
    }),
  );
  return {
    assignments: assignments.map((a) => {
      const definition = byId.get(a.roleDefinitionId.toLowerCase());
      return {
        id: a.id,
        principalId: a.principalId.toLowerCase(),
        roleTemplateId: (definition?.templateId ?? a.roleDefinitionId).toLowerCase(),
        roleDisplayName: definition?.displayName ?? a.roleDefinitionId,
        directoryScopeId: a.directoryScopeId ?? '/',
      };
    }),
  };
}

async function readSignIns(clients: AzureClients): Promise<Record<string, string>> {
  const graph = await clients.graph();
  const activities = await collect(
    graphPages(graph, () => graph.api('/reports/servicePrincipalSignInActivities').version('beta').top(PAGE).get(), rows.signInItem, {
      service: 'graph',
      operation: 'reports.servicePrincipalSignInActivities',
    }),
  );
  const lastSignIns: Record<string, string> = {};
  for (const activity of activities) {
    const last = activity.lastSignInActivity?.lastSignInDateTime;
    if (last) lastSignIns[activity.appId.toLowerCase()] = last;
  }
  return lastSignIns;
}

function mergeById<T extends { id: string }>(records: T[]): T[] {
  return [...new Map(records.map((record) => [record.id.toLowerCase(), record])).values()];
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function gapFrom(area: InventoryGap['area'], error: unknown, scope?: string): InventoryGap {
  return {
    area,
    ...(scope ? { scope } : {}),
    reason: describe(error),
    ...(error instanceof AzureApiError && error.statusCode !== undefined ? { statusCode: error.statusCode } : {}),
    ...(error instanceof AzureApiError && error.requestId ? { requestId: error.requestId } : {}),
  };
}
