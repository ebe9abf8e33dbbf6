import { z } from 'zod';
import { ARM_SCOPE, type AzureClients } from '../src/azure/clients.ts';
import { collect, graphPages } from '../src/azure/graph-paging.ts';
import { callAzure, isNotFound } from '../src/azure/errors.ts';
import { mapConcurrently } from '../src/inventory/concurrency.ts';

/**
 * The same inventory read the way today's tools read it (cloud-custodian, Prowler, AzGovViz-style scripts), with
 * the same SDK clients: ARM lists per subscription (role assignments, role definitions, user-assigned identities,
 * resources), then one Microsoft Graph GET per principal an assignment names (and one more for a missing one, in
 * deleted items), one app-role-assignment list per managed identity, and Graph lists at their default page size.
 * Sixteen requests at a time, as a tool using a small worker pool would. It only reads; what it read is counted
 * so the two sweeps can be seen to cover the same tenant.
 */
export interface BaselineRead {
  subscriptions: number;
  roleAssignments: number;
  principalsLookedUp: number;
  userAssignedIdentities: number;
  managedIdentities: number;
}

const CONCURRENCY = 16;
const anyItem = z.object({ id: z.string() }).passthrough();

export async function baselineSweep(clients: AzureClients): Promise<BaselineRead> {
  const subscriptionIds = await listSubscriptions(clients);
  const assignments = new Map<string, { principalId: string; principalType: string }>();
  let userAssignedIdentities = 0;
  await mapConcurrently(subscriptionIds, CONCURRENCY, async (subscriptionId) => {
    const authorization = await clients.authorization(subscriptionId);
    for await (const assignment of authorization.roleAssignments.listForSubscription()) {
      if (assignment.id && assignment.principalId) assignments.set(assignment.id.toLowerCase(), { principalId: assignment.principalId.toLowerCase(), principalType: assignment.principalType ?? 'Unknown' });
    }
    await collect(authorization.roleDefinitions.list(`/subscriptions/${subscriptionId}`));
    const identities = await clients.managedIdentities(subscriptionId);
    const listed = await collect(identities.userAssignedIdentities.listBySubscription());
    userAssignedIdentities += listed.length;
    const resources = await clients.resources(subscriptionId);
    await collect(resources.resources.list({ expand: 'createdTime' }));
  });

  const graph = await clients.graph();
  const managedIdentities = await collect(
    graphPages(graph, () => graph.api('/servicePrincipals').filter("servicePrincipalType eq 'ManagedIdentity'").get(), anyItem, { service: 'graph', operation: 'servicePrincipals.list' }),
  );
  const principals = new Map([...assignments.values()].map((assignment) => [assignment.principalId, assignment.principalType]));
  await mapConcurrently([...principals], CONCURRENCY, async ([principalId, principalType]) => {
    const context = { service: 'graph' as const, operation: 'principal.get', target: principalId };
    try {
      await callAzure(context, () => lookUp(graph, principalId, principalType));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await callAzure(context, () => graph.api(`/directory/deletedItems/${principalId}`).get()).catch((gone: unknown) => {
        if (!isNotFound(gone)) throw gone;
      });
    }
  });
  await mapConcurrently(managedIdentities, CONCURRENCY, (principal) =>
    collect(graphPages(graph, () => graph.api(`/servicePrincipals/${principal.id}/appRoleAssignments`).get(), anyItem, { service: 'graph', operation: 'appRoleAssignments.list' })),
  );
  await collect(graphPages(graph, () => graph.api('/roleManagement/directory/roleDefinitions').get(), anyItem, { service: 'graph', operation: 'roleDefinitions.list' }));
  await collect(graphPages(graph, () => graph.api('/roleManagement/directory/roleAssignments').get(), anyItem, { service: 'graph', operation: 'roleAssignments.list' }));
  await collect(graphPages(graph, () => graph.api('/reports/servicePrincipalSignInActivities').version('beta').get(), anyItem, { service: 'graph', operation: 'signIns.list' }));
  const groups = [...principals].filter(([, type]) => type === 'Group').map(([id]) => id);
  await mapConcurrently(groups, CONCURRENCY, (groupId) =>
    collect(graphPages(graph, () => graph.api(`/groups/${groupId}/transitiveMembers`).get(), anyItem, { service: 'graph', operation: 'groups.transitiveMembers' })).catch(
      (error: unknown) => {
        if (!isNotFound(error)) throw error; // a group deleted since it was assigned a role
      },
    ),
  );
  return { subscriptions: subscriptionIds.length, roleAssignments: assignments.size, principalsLookedUp: principals.size, userAssignedIdentities, managedIdentities: managedIdentities.length };
}

/**
 * One GET per principal by its type. The emulator has no `GET /users/{id}`, so users (and any other type) are looked
 * up with getByIds of that one id: still one call per principal, as the tools do it.
 */
function lookUp(graph: Awaited<ReturnType<AzureClients['graph']>>, principalId: string, principalType: string): Promise<unknown> {
  if (principalType === 'ServicePrincipal') return graph.api(`/servicePrincipals/${principalId}`).get();
  if (principalType === 'Group') return graph.api(`/groups/${principalId}`).get();
  return graph
    .api('/directoryObjects/getByIds')
    .post({ ids: [principalId] })
    .then((found: { value: unknown[] }) => {
      if (found.value.length === 0) throw Object.assign(new Error(`principal ${principalId} not found`), { statusCode: 404 });
      return found;
    });
}

/** GET /subscriptions with a bearer token: no subscription client is installed, and it is one or two calls. */
async function listSubscriptions(clients: AzureClients): Promise<string[]> {
  const token = await clients.credential.getToken(ARM_SCOPE);
  if (!token) throw new Error('no ARM token');
  const page = z.object({ value: z.array(z.object({ subscriptionId: z.string() })), nextLink: z.string().optional() });
  const ids: string[] = [];
  let next: string | undefined = `${clients.config.armEndpoint}/subscriptions?api-version=2022-12-01`;
  while (next) {
    const response = await fetch(next, { headers: { authorization: `Bearer ${token.token}` } });
    if (!response.ok) throw new Error(`GET /subscriptions answered ${response.status}`);
    const body = page.parse(await response.json());
    ids.push(...body.value.map((subscription) => subscription.subscriptionId));
    next = body.nextLink;
  }
  return ids;
}
