/**
 * One consistent picture of what exists, built by the inventory and read by the rules.
 * Plain data (JSON-friendly), so a snapshot can be saved, replayed and put in a report.
 * Anything the inventory could not read is recorded in `gaps` and marked `unknown`, never guessed.
 */

export type ScopeLevel = 'root' | 'managementGroup' | 'subscription' | 'resourceGroup' | 'resource';

export interface RolePermission {
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
  condition?: string | null;
}

export interface RoleDefinitionRecord {
  /** The role's GUID. */
  name: string;
  roleName: string;
  roleType: 'BuiltInRole' | 'CustomRole';
  permissions: RolePermission[];
  assignableScopes: string[];
}

export interface RoleAssignmentRecord {
  id: string;
  name: string;
  scope: string;
  /** Full role definition id as ARM returned it; rules match on the trailing GUID. */
  roleDefinitionId: string;
  principalId: string;
  principalType: string;
  condition: string | null;
  createdOn: string | null;
  createdBy: string | null;
}

/** What the directory says about an object id. `unknown` means a lookup failed: never treat it as deleted. */
export type PrincipalState =
  | { state: 'found'; principal: PrincipalRecord }
  | { state: 'soft-deleted'; displayName: string | null; deletedDateTime: string | null }
  | { state: 'absent' }
  | { state: 'unknown'; reason: string };

export type PrincipalKind = 'managedIdentity' | 'application' | 'user' | 'group' | 'other';

export interface PrincipalRecord {
  id: string;
  kind: PrincipalKind;
  displayName: string | null;
  appId: string | null;
  /** Managed identities: the ARM id of the identity (user-assigned) or of the resource it belongs to (system-assigned). */
  managedIdentityResourceId: string | null;
  managedIdentityType: 'systemAssigned' | 'userAssigned' | null;
}

export interface UserAssignedIdentityRecord {
  id: string;
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  principalId: string;
  clientId: string;
  createdAt: string | null;
  tags: Record<string, string>;
}

/** A resource that has a managed identity (system-assigned, user-assigned, or both). */
export interface IdentityHolderRecord {
  id: string;
  name: string;
  type: string;
  subscriptionId: string;
  resourceGroup: string;
  systemAssignedPrincipalId: string | null;
  userAssignedIdentityIds: string[];
  createdAt: string | null;
}

export interface AppRoleGrantRecord {
  id: string;
  principalId: string;
  resourceId: string;
  resourceDisplayName: string | null;
  appRoleId: string;
  /** The permission's value (e.g. `Application.ReadWrite.All`) when the resource is Microsoft Graph and the role is known. */
  permission: string | null;
  createdDateTime: string | null;
}

export interface DirectoryRoleAssignmentRecord {
  id: string;
  principalId: string;
  roleTemplateId: string;
  roleDisplayName: string;
  directoryScopeId: string;
}

export interface GroupRecord {
  id: string;
  displayName: string | null;
}

/** Something the inventory could not read; rules that depend on it stay silent and the report says so. */
export interface InventoryGap {
  area: 'roleAssignments' | 'roleDefinitions' | 'identities' | 'resources' | 'principals' | 'servicePrincipals' | 'appRoleGrants' | 'directoryRoles' | 'groups' | 'signIns';
  scope?: string;
  reason: string;
  statusCode?: number;
  requestId?: string;
}

export interface Snapshot {
  tenantId: string;
  takenAt: string;
  /** Subscriptions and management groups the sweep covered, fully or not (see gaps). */
  /** Each subscription with the management groups above it, nearest first (Resource Graph's managementGroupAncestorsChain). */
  subscriptions: { subscriptionId: string; displayName: string | null; managementGroupChain: string[] }[];
  managementGroups: { name: string; displayName: string | null; parent: string | null }[];
  roleDefinitions: RoleDefinitionRecord[];
  roleAssignments: RoleAssignmentRecord[];
  userAssignedIdentities: UserAssignedIdentityRecord[];
  identityHolders: IdentityHolderRecord[];
  /** Every managed-identity service principal in the tenant (Graph). */
  managedIdentityPrincipals: PrincipalRecord[];
  /** Directory state of every principal referenced by a role assignment, grant or group. */
  principals: Record<string, PrincipalState>;
  appRoleGrants: AppRoleGrantRecord[];
  directoryRoleAssignments: DirectoryRoleAssignmentRecord[];
  groups: GroupRecord[];
  /** Transitive group memberships: principal id → group ids. */
  memberOf: Record<string, string[]>;
  /** Last sign-in per service principal appId, keys lower-cased (absent: never signed in); null when sign-in data could not be read. */
  lastSignIns: Record<string, string> | null;
  gaps: InventoryGap[];
}
