import { z } from 'zod';
import { AppRoleAssignments } from '../../azure/app-role-assignments.ts';
import type { AzureClients } from '../../azure/clients.ts';
import { collect, collectionOf } from '../../azure/graph-paging.ts';
import { graphRequest } from '../../azure/graph-request.ts';
import { ManagedIdentities } from '../../azure/managed-identities.ts';
import type { RequestIdSink } from '../../azure/request-ids.ts';
import { parseResponse } from '../../azure/response.ts';
import { RoleAssignments } from '../../azure/role-assignments.ts';
import { queryResourceGraph } from '../../inventory/resource-graph.ts';
import type { UserAssignedIdentityRecord } from '../../model/snapshot.ts';
import { describe } from './trail.ts';

/** What the live reads say about an identity: provably unused, in use (and by what), or not known. */
export type IdentityUsage = { state: 'unused' } | { state: 'in-use'; holds: string[] } | { state: 'unknown'; why: string };

const consumerRow = z.object({
  id: z.string(),
  identity: z.object({ userAssignedIdentities: z.record(z.string(), z.unknown()).nullish() }).nullish(),
});
const idRow = z.object({ id: z.string() });
const directoryRoleAssignment = z.object({ id: z.string(), roleDefinitionId: z.string().nullish() });

/** A KQL string literal: backslash and quote escaped (ARM ids contain neither in practice; this keeps it so). */
const kqlString = (value: string) => `'${value.replace(/[\\']/g, (character) => `\\${character}`)}'`;

/** ARM ids compare case-insensitively, and Resource Graph writes `resourcegroups` in lower case. */
const sameArmId = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * Whether a user-assigned identity still holds anything, read live right before it would be deleted. Deleting an
 * identity cannot be undone, so "unused" must be proven: every lookup has to succeed, and any one that fails makes
 * the answer `unknown`, never `unused`.
 *
 * An identity is in use when any of these names it:
 * - a resource that lists it in `identity.userAssignedIdentities` (Resource Graph, tenant-wide);
 * - an Azure role assignment for its principal: ARM `assignedTo()` at its subscription (direct, through groups, and
 *   inherited from management groups), and Resource Graph for direct assignments anywhere else in the tenant;
 * - a Microsoft Graph app-role assignment or a Microsoft Entra directory role assignment of its service principal;
 * - a federated identity credential (a workload outside Azure that signs in as it).
 * Known limit: Resource Graph only shows subscriptions the bot can read, so a consumer or an assignment in a
 * subscription outside the bot's reach is not seen (the same limit as the sweep's).
 */
export async function identityUsage(clients: AzureClients, identity: UserAssignedIdentityRecord, requestIds: RequestIdSink): Promise<IdentityUsage> {
  const holds: string[] = [];
  const checks: [string, () => Promise<string[]>][] = [
    ['resources using it', () => consumers(clients, identity, requestIds)],
    ['role assignments at its subscription', () => assignmentsAtSubscription(clients, identity, requestIds)],
    ['role assignments elsewhere in the tenant', () => assignmentsInTenant(clients, identity, requestIds)],
    ['Microsoft Graph app roles', () => graphAppRoles(clients, identity, requestIds)],
    ['directory roles', () => directoryRoles(clients, identity, requestIds)],
    ['federated identity credentials', () => federatedCredentials(clients, identity, requestIds)],
  ];
  for (const [what, check] of checks) {
    try {
      holds.push(...(await check()));
    } catch (error) {
      return { state: 'unknown', why: `looking up ${what} failed, so it is not proven unused: ${describe(error)}` };
    }
  }
  return holds.length > 0 ? { state: 'in-use', holds: [...new Set(holds)] } : { state: 'unused' };
}

async function consumers(clients: AzureClients, identity: UserAssignedIdentityRecord, requestIds: RequestIdSink): Promise<string[]> {
  // `contains` narrows the rows; the exact, case-insensitive match on the identity's key decides.
  const query = `resources
| where isnotempty(identity)
| where tostring(identity.userAssignedIdentities) contains ${kqlString(identity.id)}
| project id, identity`;
  const rows = await collect(queryResourceGraph(clients, query, { tenant: true }, consumerRow, 'resources.identityConsumers', requestIds));
  return rows.filter((row) => Object.keys(row.identity?.userAssignedIdentities ?? {}).some((key) => sameArmId(key, identity.id))).map((row) => `used by ${row.id}`);
}

async function assignmentsAtSubscription(clients: AzureClients, identity: UserAssignedIdentityRecord, requestIds: RequestIdSink): Promise<string[]> {
  // `assignedTo()` cannot be combined with `principalId eq`; it adds the principal's groups, which is stricter still.
  const assignments = await collect(new RoleAssignments(clients).listForScope(`/subscriptions/${identity.subscriptionId}`, { filter: `assignedTo('${identity.principalId}')` }, requestIds));
  return assignments.map((assignment) => `role assignment ${assignment.id}`);
}

async function assignmentsInTenant(clients: AzureClients, identity: UserAssignedIdentityRecord, requestIds: RequestIdSink): Promise<string[]> {
  const query = `authorizationresources
| where type =~ 'microsoft.authorization/roleassignments'
| where properties.principalId =~ ${kqlString(identity.principalId)}
| project id`;
  const rows = await collect(queryResourceGraph(clients, query, { tenant: true }, idRow, 'authorizationresources.roleAssignmentsOfPrincipal', requestIds));
  return rows.map((row) => `role assignment ${row.id}`);
}

async function graphAppRoles(clients: AzureClients, identity: UserAssignedIdentityRecord, requestIds: RequestIdSink): Promise<string[]> {
  const grants = await new AppRoleAssignments(clients).listOf(identity.principalId, requestIds);
  return grants.map((grant) => `Microsoft Graph app-role assignment ${grant.id} (app role ${grant.appRoleId})`);
}

async function directoryRoles(clients: AzureClients, identity: UserAssignedIdentityRecord, requestIds: RequestIdSink): Promise<string[]> {
  const context = { service: 'graph' as const, operation: 'roleManagement.directory.roleAssignments.list', target: identity.principalId };
  const client = await clients.graph();
  const filter = encodeURIComponent(`principalId eq '${identity.principalId}'`);
  const page = parseResponse(collectionOf(directoryRoleAssignment), await graphRequest(client, { method: 'GET', path: `/roleManagement/directory/roleAssignments?$filter=${filter}` }, context, requestIds), context);
  // One page is enough to know: a principal with even one directory role is in use.
  return page.value.map((assignment) => `directory role assignment ${assignment.id} (role ${assignment.roleDefinitionId ?? 'unknown'})`);
}

async function federatedCredentials(clients: AzureClients, identity: UserAssignedIdentityRecord, requestIds: RequestIdSink): Promise<string[]> {
  const credentials = await new ManagedIdentities(clients).listFederatedCredentials(identity.id, requestIds);
  return credentials.map((credential) => `federated identity credential ${credential.name} (${credential.issuer}, ${credential.subject})`);
}
