import type { Snapshot } from '../model/snapshot.ts';

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

/** Derives the identity inventory a report carries from the snapshot the findings were judged on. */
export function buildIdentityInventory(snapshot: Snapshot): IdentityView[] {
  const roleNames = new Map(snapshot.roleDefinitions.map((role) => [role.name.toLowerCase(), role.roleName]));
  const roleName = (roleDefinitionId: string) => roleNames.get(roleDefinitionId.split('/').pop()!.toLowerCase()) ?? roleDefinitionId;
  const assignmentsByPrincipal = new Map<string, Snapshot['roleAssignments']>();
  for (const assignment of snapshot.roleAssignments) {
    const key = assignment.principalId.toLowerCase();
    assignmentsByPrincipal.set(key, [...(assignmentsByPrincipal.get(key) ?? []), assignment]);
  }
  const uamis = new Map(snapshot.userAssignedIdentities.map((identity) => [identity.id.toLowerCase(), identity]));
  const holdersByUami = new Map<string, string[]>();
  const holderBySystemPrincipal = new Map<string, Snapshot['identityHolders'][number]>();
  for (const holder of snapshot.identityHolders) {
    if (holder.systemAssignedPrincipalId) holderBySystemPrincipal.set(holder.systemAssignedPrincipalId.toLowerCase(), holder);
    for (const uami of holder.userAssignedIdentityIds) holdersByUami.set(uami.toLowerCase(), [...(holdersByUami.get(uami.toLowerCase()) ?? []), holder.id]);
  }

  return snapshot.managedIdentityPrincipals
    .map((principal): IdentityView => {
      const key = principal.id.toLowerCase();
      const resourceId = principal.managedIdentityResourceId;
      const uami = resourceId ? uamis.get(resourceId.toLowerCase()) : undefined;
      const holder = holderBySystemPrincipal.get(key);
      const direct = (assignmentsByPrincipal.get(key) ?? []).map((a) => ({ scope: a.scope, roleName: roleName(a.roleDefinitionId), via: 'direct' as const }));
      const viaGroups = (snapshot.memberOf[key] ?? []).flatMap((groupId) =>
        (assignmentsByPrincipal.get(groupId.toLowerCase()) ?? []).map((a) => ({ scope: a.scope, roleName: roleName(a.roleDefinitionId), via: { groupId } })),
      );
      const lastSignIn = snapshot.lastSignIns === null ? 'unknown' : principal.appId ? (snapshot.lastSignIns[principal.appId.toLowerCase()] ?? null) : null;
      return {
        principalId: principal.id,
        displayName: principal.displayName,
        type: principal.managedIdentityType ?? (uami ? 'userAssigned' : 'systemAssigned'),
        resourceId,
        attachedTo: uami ? (holdersByUami.get(uami.id.toLowerCase()) ?? []) : holder ? [holder.id] : [],
        roleAssignments: [...direct, ...viaGroups],
        graphAppRoles: snapshot.appRoleGrants.filter((g) => g.principalId.toLowerCase() === key).map((g) => g.permission ?? g.appRoleId),
        directoryRoles: snapshot.directoryRoleAssignments.filter((d) => d.principalId.toLowerCase() === key).map((d) => d.roleDisplayName),
        createdAt: uami?.createdAt ?? holder?.createdAt ?? null,
        lastSignIn,
      };
    })
    .sort((a, b) => (a.displayName ?? a.principalId).localeCompare(b.displayName ?? b.principalId));
}
