import type { AzureClients } from '../azure/clients.ts';
import { orGone } from '../azure/errors.ts';
import { ManagedIdentities } from '../azure/managed-identities.ts';
import { RoleAssignments } from '../azure/role-assignments.ts';
import { BuiltInRoleCache, RoleDefinitions } from '../azure/role-definitions.ts';
import { collect } from '../azure/graph-paging.ts';
import { gapFrom, resolvePrincipals } from '../inventory/build-snapshot.ts';
import { SUBSCRIPTIONS_QUERY } from '../inventory/queries.ts';
import { roleAssignmentRow, subscriptionRow } from '../inventory/records.ts';
import { queryResourceGraph } from '../inventory/resource-graph.ts';
import type {
  IdentityHolderRecord,
  InventoryGap,
  PrincipalState,
  RoleAssignmentRecord,
  RoleDefinitionRecord,
  Snapshot,
  UserAssignedIdentityRecord,
} from '../model/snapshot.ts';
import { resourceGroupScopeOf, resourceNameOf, subscriptionIdOf } from '../rules/arm-scope.ts';
import { resourceTypeOfId, type JudgeableObject } from './affected-object.ts';

/**
 * Re-reads the object an event named, live, through the real SDK clients: events are hints, this is the truth the
 * rules judge. Reading the object itself either succeeds, finds it gone (404), or throws (the event is retried).
 * Every other lookup that fails is recorded as a gap and leaves what it would have said unknown, never deleted.
 */

/** What was read around one object: the parts of a snapshot the event path can fill. */
export interface FocusedFacts {
  roleAssignments: RoleAssignmentRecord[];
  roleDefinitions: RoleDefinitionRecord[];
  principals: Record<string, PrincipalState>;
  userAssignedIdentities: UserAssignedIdentityRecord[];
  identityHolders: IdentityHolderRecord[];
  /** The event's subscription with its management-group chain, when it was asked for and could be read. */
  subscriptions: Snapshot['subscriptions'];
  /** Lookups that failed. */
  failures: InventoryGap[];
}

export type LiveRead = { state: 'present'; facts: FocusedFacts } | { state: 'gone'; reason: string };

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Every assignment of one role, tenant-wide: the Authorization API cannot filter assignments by role. */
export function assignmentsOfRoleQuery(roleDefinitionGuid: string): string {
  // The GUID goes into the query text, so it must be nothing but a GUID.
  if (!GUID.test(roleDefinitionGuid)) throw new Error(`not a role definition GUID: ${roleDefinitionGuid}`);
  return `authorizationresources
| where type =~ 'microsoft.authorization/roleassignments'
| where tostring(properties.roleDefinitionId) endswith '/${roleDefinitionGuid.toLowerCase()}'
| project id, name, properties`;
}

/** One cache per set of clients, so it lives as long as the process's runtime and spans its events. */
const builtInRoles = new WeakMap<AzureClients, BuiltInRoleCache>();

const emptyFacts = (): FocusedFacts => ({ roleAssignments: [], roleDefinitions: [], principals: {}, userAssignedIdentities: [], identityHolders: [], subscriptions: [], failures: [] });

export class LiveReader {
  private readonly roleAssignments: RoleAssignments;
  private readonly roleDefinitions: RoleDefinitions;
  private readonly builtInRoles: BuiltInRoleCache;
  private readonly managedIdentities: ManagedIdentities;

  constructor(private readonly clients: AzureClients) {
    this.roleAssignments = new RoleAssignments(clients);
    this.roleDefinitions = new RoleDefinitions(clients);
    this.managedIdentities = new ManagedIdentities(clients);
    let cache = builtInRoles.get(clients);
    if (!cache) builtInRoles.set(clients, (cache = new BuiltInRoleCache(this.roleDefinitions)));
    this.builtInRoles = cache;
  }

  /** Reads the object and what the event path's rules need around it. */
  async read(object: JudgeableObject, options: { managementGroupChainOf?: string } = {}): Promise<LiveRead> {
    const read = await this.readObject(object);
    if (read.state === 'present' && options.managementGroupChainOf) await this.readManagementGroupChain(read.facts, options.managementGroupChainOf);
    return read;
  }

  private readObject(object: JudgeableObject): Promise<LiveRead> {
    switch (object.kind) {
      case 'roleAssignment':
        return this.readRoleAssignment(object.id);
      case 'roleDefinition':
        return this.readRoleDefinition(object.id);
      case 'userAssignedIdentity':
        return this.readUserAssignedIdentity(object.id);
      case 'identityHolder':
        return this.readIdentityHolder(object.id);
    }
  }

  /**
   * The assignment (404: gone), its role definition (a built-in one from the cache: see BuiltInRoleCache), and its
   * principal's directory state.
   */
  private async readRoleAssignment(id: string): Promise<LiveRead> {
    const assignment = await orGone(() => this.roleAssignments.get(id));
    if (!assignment) return { state: 'gone', reason: `role assignment ${id} no longer exists` };
    const facts = emptyFacts();
    facts.roleAssignments.push(assignment);
    await Promise.all([
      attempt(facts, 'roleDefinitions', async () => void facts.roleDefinitions.push(await this.builtInRoles.getById(assignment.roleDefinitionId))),
      this.readPrincipals(facts, [assignment.principalId]),
    ]);
    return { state: 'present', facts };
  }

  /** The role (404: gone), every assignment of it (Resource Graph), and those assignments' principals. */
  private async readRoleDefinition(id: string): Promise<LiveRead> {
    const role = await orGone(() => this.roleDefinitions.getById(id));
    if (!role) return { state: 'gone', reason: `role definition ${id} no longer exists` };
    const facts = emptyFacts();
    facts.roleDefinitions.push(role);
    await attempt(facts, 'roleAssignments', async () => {
      facts.roleAssignments.push(
        ...(await collect(queryResourceGraph(this.clients, assignmentsOfRoleQuery(role.name), { tenant: true }, roleAssignmentRow, 'authorizationresources.roleAssignmentsOfRole'))),
      );
    });
    await this.readPrincipals(facts, facts.roleAssignments.map((assignment) => assignment.principalId));
    return { state: 'present', facts };
  }

  private async readUserAssignedIdentity(id: string): Promise<LiveRead> {
    const identity = await orGone(() => this.managedIdentities.getUserAssigned(id));
    if (!identity) return { state: 'gone', reason: `user-assigned identity ${id} no longer exists` };
    const facts = emptyFacts();
    facts.userAssignedIdentities.push(identity);
    return { state: 'present', facts };
  }

  /** The resource's system-assigned identity: a 404 means it has none now (or the resource is gone). */
  private async readIdentityHolder(id: string): Promise<LiveRead> {
    const identity = await orGone(() => this.managedIdentities.getSystemAssigned(id));
    if (!identity) return { state: 'gone', reason: `${id} has no system-assigned identity (or no longer exists)` };
    const facts = emptyFacts();
    facts.identityHolders.push({
      id,
      name: resourceNameOf(id),
      type: resourceTypeOfId(id) ?? '',
      subscriptionId: subscriptionIdOf(id) ?? '',
      resourceGroup: resourceNameOf(resourceGroupScopeOf(id) ?? ''),
      systemAssignedPrincipalId: identity.principalId,
      // Not read: the event path judges the system-assigned identity; the sweep sees user-assigned attachments.
      userAssignedIdentityIds: [],
      createdAt: identity.createdAt,
    });
    return { state: 'present', facts };
  }

  /** Directory state of the principals: found, soft-deleted, absent, or unknown when a lookup failed. */
  private async readPrincipals(facts: FocusedFacts, principalIds: string[]): Promise<void> {
    if (principalIds.length === 0) return;
    // No managed-identity list is passed: getByIds finds principals of every type, so absent is absent.
    Object.assign(facts.principals, await resolvePrincipals(this.clients, principalIds, [], true, facts.failures));
  }

  /** The management groups above the subscription, for policies and exemptions scoped to management groups. */
  private async readManagementGroupChain(facts: FocusedFacts, subscriptionId: string): Promise<void> {
    await attempt(
      facts,
      'resources',
      async () => {
        const rows = await collect(queryResourceGraph(this.clients, SUBSCRIPTIONS_QUERY, { subscriptions: [subscriptionId] }, subscriptionRow, 'resources.subscriptions'));
        facts.subscriptions.push(
          ...rows.map((row) => ({
            subscriptionId: row.subscriptionId.toLowerCase(),
            displayName: row.name ?? null,
            managementGroupChain: (row.properties?.managementGroupAncestorsChain ?? []).map((group) => group.name),
          })),
        );
      },
      `/subscriptions/${subscriptionId}`,
    );
  }
}

/** Runs a secondary lookup; its failure becomes a gap in `area`. */
async function attempt(facts: FocusedFacts, area: InventoryGap['area'], work: () => Promise<void>, scope?: string): Promise<void> {
  try {
    await work();
  } catch (error) {
    facts.failures.push(gapFrom(area, error, scope));
  }
}
