import type { AzureClients } from '../azure/clients.ts';
import { collect } from '../azure/graph-paging.ts';
import { isAuthorizationFailure } from '../azure/errors.ts';
import { RoleAssignments } from '../azure/role-assignments.ts';
import type { RoleAssignmentRecord, Snapshot } from '../model/snapshot.ts';

const managementGroupScope = (name: string) => `/providers/Microsoft.Management/managementGroups/${name}`;

/**
 * Role assignments made above what the bot can read (at `/` or at management groups over its own): Resource Graph
 * shows only rows the caller may read, but ARM lists a scope's inherited assignments to whoever may read at that
 * scope. So each subscription's nearest management group is listed with `atScope()` (that group and everything
 * above it), once per group; where the bot cannot read the group (403), the subscription itself is listed.
 * Any other failure is the caller's to record as a gap.
 */
export async function readInheritedAssignments(clients: AzureClients, subscriptions: Snapshot['subscriptions']): Promise<RoleAssignmentRecord[]> {
  const roleAssignments = new RoleAssignments(clients);
  const listed = new Map<string, RoleAssignmentRecord[] | 'forbidden'>();
  const found = new Map<string, RoleAssignmentRecord>();
  for (const subscription of subscriptions) {
    const nearest = subscription.managementGroupChain[0];
    const scopes = [...(nearest ? [managementGroupScope(nearest)] : []), `/subscriptions/${subscription.subscriptionId}`];
    for (const scope of scopes) {
      const key = scope.toLowerCase();
      let result = listed.get(key);
      if (result === undefined) {
        try {
          result = await collect(roleAssignments.listForScope(scope, { filter: 'atScope()' }));
        } catch (error) {
          if (!isAuthorizationFailure(error)) throw error;
          result = 'forbidden';
        }
        listed.set(key, result);
      }
      if (result === 'forbidden') continue;
      for (const assignment of result) found.set(assignment.id.toLowerCase(), { ...assignment, principalId: assignment.principalId.toLowerCase() });
      break;
    }
  }
  return [...found.values()];
}
