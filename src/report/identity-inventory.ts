import type { Snapshot } from '../model/snapshot.ts';
import { roleDefinitionKey } from '../model/role-definition-key.ts';

/** One managed identity as a report shows it: what it is, where it is attached, and everything it can do. */
export interface IdentityView {
  principalId: string;
  displayName: string | null;
  type: 'systemAssigned' | 'userAssigned';
  /** The user-assigned identity's id, or the resource a system-assigned identity belongs to. */
  resourceId: string | null;
  attachedTo: string[];
  roleAssignments: { scope: string; roleName: string; via: 'direct' | { groupId: string } }[];
  graphAppRoles: string[];
  directoryRoles: string[];
  createdAt: string | null;
  lastSignIn: string | null | 'unknown';
}

const collator = new Intl.Collator();

/** Derives the identity inventory a report carries from the snapshot the findings were judged on. */
export function buildIdentityInventory(snapshot: Snapshot): IdentityView[] {
  const roleNames = new Map(snapshot.roleDefinitions.map((role) => [role.name.toLowerCase(), role.roleName]));
  // Assignments name a few hundred distinct role definition ids (one per role and subscription) a hundred thousand times.
  const roleNameOf = new Map<string, string>();
  const roleName = (roleDefinitionId: string) => {
    let name = roleNameOf.get(roleDefinitionId);
    if (name === undefined) roleNameOf.set(roleDefinitionId, (name = roleNames.get(roleDefinitionKey(roleDefinitionId)) ?? roleDefinitionId));
    return name;
  };
  // Lists grouped by principal in one pass each (a large tenant has 100,000 assignments and 25,000 identities).
  const assignmentsByPrincipal = Map.groupBy(snapshot.roleAssignments, (assignment) => assignment.principalId.toLowerCase());
  const grantsByPrincipal = Map.groupBy(snapshot.appRoleGrants, (grant) => grant.principalId.toLowerCase());
  const directoryRolesByPrincipal = Map.groupBy(snapshot.directoryRoleAssignments, (role) => role.principalId.toLowerCase());
  const uamis = new Map(snapshot.userAssignedIdentities.map((identity) => [identity.id.toLowerCase(), identity]));
  const holdersByUami = new Map<string, string[]>();
  const holderBySystemPrincipal = new Map<string, Snapshot['identityHolders'][number]>();
  for (const holder of snapshot.identityHolders) {
    if (holder.systemAssignedPrincipalId) holderBySystemPrincipal.set(holder.systemAssignedPrincipalId.toLowerCase(), holder);
    for (const uami of holder.userAssignedIdentityIds) {
      const key = uami.toLowerCase();
      const holders = holdersByUami.get(key);
      if (holders) holders.push(holder.id);
      else holdersByUami.set(key, [holder.id]);
    }
  }

  // What a group holds is the same for each of its members: built once per group and shared (in a large tenant, most
  // of an inventory's entries come through groups: 570,000 of 660,000 at size L).
  const entriesOfGroup = new Map<string, IdentityView['roleAssignments']>();
  const groupEntries = (groupId: string) => {
    let entries = entriesOfGroup.get(groupId);
    if (!entries) {
      const via = { groupId };
      entries = (assignmentsByPrincipal.get(groupId.toLowerCase()) ?? []).map((a) => ({ scope: a.scope, roleName: roleName(a.roleDefinitionId), via }));
      entriesOfGroup.set(groupId, entries);
    }
    return entries;
  };

  return snapshot.managedIdentityPrincipals
    .map((principal): IdentityView => {
      const key = principal.id.toLowerCase();
      const resourceId = principal.managedIdentityResourceId;
      const uami = resourceId ? uamis.get(resourceId.toLowerCase()) : undefined;
      const holder = holderBySystemPrincipal.get(key);
      const direct = (assignmentsByPrincipal.get(key) ?? []).map((a) => ({ scope: a.scope, roleName: roleName(a.roleDefinitionId), via: 'direct' as const }));
      const viaGroups = (snapshot.memberOf[key] ?? []).flatMap(groupEntries);
      const lastSignIn = snapshot.lastSignIns === null ? 'unknown' : principal.appId ? (snapshot.lastSignIns[principal.appId.toLowerCase()] ?? null) : null;
      return {
        principalId: principal.id,
        displayName: principal.displayName,
        type: principal.managedIdentityType ?? (uami ? 'userAssigned' : 'systemAssigned'),
        resourceId,
        attachedTo: uami ? (holdersByUami.get(uami.id.toLowerCase()) ?? []) : holder ? [holder.id] : [],
        roleAssignments: [...direct, ...viaGroups],
        graphAppRoles: (grantsByPrincipal.get(key) ?? []).map((g) => g.permission ?? g.appRoleId),
        directoryRoles: (directoryRolesByPrincipal.get(key) ?? []).map((d) => d.roleDisplayName),
        createdAt: uami?.createdAt ?? holder?.createdAt ?? null,
        lastSignIn,
      };
    })
    // One collator instead of localeCompare's per call (the same order): 25,000 identities sort in a fraction of the time.
    .sort((a, b) => collator.compare(a.displayName ?? a.principalId, b.displayName ?? b.principalId));
}
