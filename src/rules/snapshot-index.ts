import type {
  AppRoleGrantRecord,
  DirectoryRoleAssignmentRecord,
  GroupRecord,
  IdentityHolderRecord,
  InventoryGap,
  PrincipalKind,
  PrincipalRecord,
  PrincipalState,
  RoleAssignmentRecord,
  RoleDefinitionRecord,
  Snapshot,
  UserAssignedIdentityRecord,
} from '../model/snapshot.ts';
import { scopeKey, subscriptionIdOf } from './arm-scope.ts';
import { classifyRole, type RolePrivilege } from './role-classification.ts';
import { roleDefinitionKey } from '../model/role-definition-key.ts';

/**
 * The lookups rules need, built once per snapshot in one pass over each list, so every rule stays
 * linear in the snapshot. Ids compare case-insensitively (ARM and Graph return mixed case); `undefined`
 * from a lookup means "not in the snapshot", which rules treat as unknown, never as deleted.
 */
export interface SnapshotIndex {
  readonly snapshot: Snapshot;
  /** By the trailing GUID of a role definition id (any scope prefix), or by the bare GUID. */
  roleDefinition(roleDefinitionId: string): RoleDefinitionRecord | undefined;
  /** The role's privilege classification, computed once per role definition. */
  rolePrivilege(roleDefinitionId: string): RolePrivilege | undefined;
  assignmentsOf(principalId: string): readonly RoleAssignmentRecord[];
  principalState(principalId: string): PrincipalState | undefined;
  /** Managed identity when Graph lists it as one; otherwise what the directory lookup said. */
  principalKind(principalId: string): PrincipalKind | undefined;
  principalDisplayName(principalId: string): string | null;
  /** Every principal known to be a managed identity (Graph's list plus directory lookups), once each. */
  managedIdentityPrincipalIds(): readonly string[];
  managedIdentityPrincipal(principalId: string): PrincipalRecord | undefined;
  /** The service principal's appId (a user-assigned identity's clientId is its appId). */
  appIdOf(principalId: string): string | null;
  userAssignedIdentity(identityId: string): UserAssignedIdentityRecord | undefined;
  userAssignedIdentityByPrincipal(principalId: string): UserAssignedIdentityRecord | undefined;
  identityHolder(resourceId: string): IdentityHolderRecord | undefined;
  holderOfSystemAssigned(principalId: string): IdentityHolderRecord | undefined;
  /** Resources that have the user-assigned identity attached. */
  consumersOf(identityId: string): readonly IdentityHolderRecord[];
  /** The user-assigned identity's id, or the resource a system-assigned identity belongs to. */
  identityResourceIdOf(principalId: string): string | null;
  /** When the identity (user-assigned) or its resource (system-assigned) was created, as recorded. */
  identityCreatedAt(principalId: string): string | null;
  group(groupId: string): GroupRecord | undefined;
  /** Transitive group memberships. */
  groupsOf(principalId: string): readonly string[];
  appRoleGrantsOf(principalId: string): readonly AppRoleGrantRecord[];
  directoryRoleAssignmentsOf(principalId: string): readonly DirectoryRoleAssignmentRecord[];
  /** Last sign-in of an appId: a time, `never` when sign-ins were read and it has none, `unknown` when they could not be read. */
  lastSignIn(appId: string): string | 'never' | 'unknown';
  /**
   * Whether the given areas were read completely for a subscription: it was swept, and no gap in those
   * areas touches it (a gap without a subscription, at a management group or at the root touches all).
   */
  isComplete(subscriptionId: string, areas: readonly InventoryGap['area'][]): boolean;
  /** The management groups above a swept subscription, nearest first; undefined when it was not swept. */
  managementGroupChainOf(subscriptionId: string): readonly string[] | undefined;
}

export function indexSnapshot(snapshot: Snapshot): SnapshotIndex {
  const roleDefinitions = firstByKey(snapshot.roleDefinitions, (role) => role.name);
  const privileges = new Map<string, RolePrivilege>();
  const assignmentsByPrincipal = groupByKey(snapshot.roleAssignments, (assignment) => assignment.principalId);
  const principals = new Map(Object.entries(snapshot.principals).map(([id, state]) => [id.toLowerCase(), state]));
  const miPrincipals = firstByKey(snapshot.managedIdentityPrincipals, (principal) => principal.id);
  const uamis = firstByKey(snapshot.userAssignedIdentities, (identity) => scopeKey(identity.id));
  const uamisByPrincipal = firstByKey(snapshot.userAssignedIdentities, (identity) => identity.principalId);
  const holders = firstByKey(snapshot.identityHolders, (holder) => scopeKey(holder.id));
  const holdersBySystemPrincipal = firstByKey(
    snapshot.identityHolders.filter((holder) => holder.systemAssignedPrincipalId),
    (holder) => holder.systemAssignedPrincipalId!,
  );
  const consumers = new Map<string, IdentityHolderRecord[]>();
  for (const holder of snapshot.identityHolders) {
    for (const identityId of new Set(holder.userAssignedIdentityIds.map(scopeKey))) push(consumers, identityId, holder);
  }
  const groups = firstByKey(snapshot.groups, (group) => group.id);
  const memberOf = new Map<string, string[]>();
  for (const [principalId, groupIds] of Object.entries(snapshot.memberOf)) for (const groupId of groupIds) push(memberOf, principalId.toLowerCase(), groupId);
  const grantsByPrincipal = groupByKey(snapshot.appRoleGrants, (grant) => grant.principalId);
  const directoryRolesByPrincipal = groupByKey(snapshot.directoryRoleAssignments, (assignment) => assignment.principalId);
  const lastSignIns = snapshot.lastSignIns === null ? null : new Map(Object.entries(snapshot.lastSignIns).map(([appId, at]) => [appId.toLowerCase(), at]));
  const sweptSubscriptions = new Map(snapshot.subscriptions.map((subscription) => [subscription.subscriptionId.toLowerCase(), subscription]));
  const gapReach = reachOfGaps(snapshot.gaps);

  const found = (principalId: string) => {
    const state = principals.get(principalId.toLowerCase());
    return state?.state === 'found' ? state.principal : undefined;
  };
  const managedIdentityPrincipalIds = [
    ...firstByKey(
      [
        ...snapshot.managedIdentityPrincipals.map((principal) => principal.id),
        ...Object.entries(snapshot.principals).flatMap(([id, state]) => (state.state === 'found' && state.principal.kind === 'managedIdentity' ? [id] : [])),
      ],
      (id) => id,
    ).values(),
  ];

  const index: SnapshotIndex = {
    snapshot,
    roleDefinition: (roleDefinitionId) => roleDefinitions.get(roleDefinitionKey(roleDefinitionId)),
    rolePrivilege(roleDefinitionId) {
      const role = index.roleDefinition(roleDefinitionId);
      if (!role) return undefined;
      const key = role.name.toLowerCase();
      let privilege = privileges.get(key);
      if (!privilege) privileges.set(key, (privilege = classifyRole(role)));
      return privilege;
    },
    assignmentsOf: (principalId) => assignmentsByPrincipal.get(principalId.toLowerCase()) ?? [],
    principalState: (principalId) => principals.get(principalId.toLowerCase()),
    principalKind(principalId) {
      const key = principalId.toLowerCase();
      if (miPrincipals.has(key)) return 'managedIdentity';
      return found(key)?.kind ?? (groups.has(key) ? 'group' : undefined);
    },
    principalDisplayName(principalId) {
      const key = principalId.toLowerCase();
      const state = principals.get(key);
      if (state?.state === 'found' && state.principal.displayName) return state.principal.displayName;
      if (state?.state === 'soft-deleted' && state.displayName) return state.displayName;
      return miPrincipals.get(key)?.displayName ?? groups.get(key)?.displayName ?? uamisByPrincipal.get(key)?.name ?? holdersBySystemPrincipal.get(key)?.name ?? null;
    },
    managedIdentityPrincipalIds: () => managedIdentityPrincipalIds,
    managedIdentityPrincipal: (principalId) => miPrincipals.get(principalId.toLowerCase()) ?? managedIdentityFound(found(principalId)),
    appIdOf(principalId) {
      const key = principalId.toLowerCase();
      return miPrincipals.get(key)?.appId ?? found(key)?.appId ?? uamisByPrincipal.get(key)?.clientId ?? null;
    },
    userAssignedIdentity: (identityId) => uamis.get(scopeKey(identityId)),
    userAssignedIdentityByPrincipal: (principalId) => uamisByPrincipal.get(principalId.toLowerCase()),
    identityHolder: (resourceId) => holders.get(scopeKey(resourceId)),
    holderOfSystemAssigned: (principalId) => holdersBySystemPrincipal.get(principalId.toLowerCase()),
    consumersOf: (identityId) => consumers.get(scopeKey(identityId)) ?? [],
    identityResourceIdOf(principalId) {
      const key = principalId.toLowerCase();
      return (
        index.managedIdentityPrincipal(key)?.managedIdentityResourceId ?? uamisByPrincipal.get(key)?.id ?? holdersBySystemPrincipal.get(key)?.id ?? null
      );
    },
    identityCreatedAt(principalId) {
      const key = principalId.toLowerCase();
      const uami = uamisByPrincipal.get(key);
      if (uami) return uami.createdAt;
      return holdersBySystemPrincipal.get(key)?.createdAt ?? null;
    },
    group: (groupId) => groups.get(groupId.toLowerCase()),
    groupsOf: (principalId) => memberOf.get(principalId.toLowerCase()) ?? [],
    appRoleGrantsOf: (principalId) => grantsByPrincipal.get(principalId.toLowerCase()) ?? [],
    directoryRoleAssignmentsOf: (principalId) => directoryRolesByPrincipal.get(principalId.toLowerCase()) ?? [],
    lastSignIn(appId) {
      if (lastSignIns === null) return 'unknown';
      return lastSignIns.get(appId.toLowerCase()) ?? 'never';
    },
    isComplete(subscriptionId, areas) {
      const subscription = subscriptionId.toLowerCase();
      if (!sweptSubscriptions.has(subscription)) return false;
      return areas.every((area) => {
        const reach = gapReach.get(area);
        return !reach || (!reach.everywhere && !reach.subscriptions.has(subscription));
      });
    },
    managementGroupChainOf: (subscriptionId) => sweptSubscriptions.get(subscriptionId.toLowerCase())?.managementGroupChain,
  };
  return index;
}

/** Per area, the subscriptions a gap may hide things in: a gap without a scope, or above subscriptions, reaches all. */
function reachOfGaps(gaps: readonly InventoryGap[]) {
  const reach = new Map<InventoryGap['area'], { everywhere: boolean; subscriptions: Set<string> }>();
  for (const gap of gaps) {
    let entry = reach.get(gap.area);
    if (!entry) reach.set(gap.area, (entry = { everywhere: false, subscriptions: new Set() }));
    const subscriptionId = gap.scope === undefined ? null : subscriptionIdOf(gap.scope);
    if (subscriptionId === null) entry.everywhere = true;
    else entry.subscriptions.add(subscriptionId);
  }
  return reach;
}

function managedIdentityFound(principal: PrincipalRecord | undefined) {
  return principal?.kind === 'managedIdentity' ? principal : undefined;
}

function firstByKey<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T> {
  const map = new Map<string, T>();
  for (const item of items) {
    const key = keyOf(item).toLowerCase();
    if (!map.has(key)) map.set(key, item);
  }
  return map;
}

function groupByKey<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) push(map, keyOf(item).toLowerCase(), item);
  return map;
}

function push<T>(map: Map<string, T[]>, key: string, item: T) {
  const list = map.get(key);
  if (list) list.push(item);
  else map.set(key, [item]);
}
