/** The emulated tenant's objects, in the emulator's own shape (routes render the wire shapes). */

export interface ManagementGroup {
  name: string;
  displayName: string;
  /** Parent group name; the tenant root group has none. */
  parent: string | undefined;
}

export interface Subscription {
  subscriptionId: string;
  displayName: string;
  /** Management group the subscription sits in (the tenant root group when the seed names none). */
  managementGroup: string;
}

export interface ResourceGroup {
  id: string;
  subscriptionId: string;
  name: string;
  location: string;
  tags: Record<string, string>;
}

export interface ResourceIdentity {
  systemAssigned: boolean;
  /** Object id of the system-assigned identity's service principal. */
  principalId: string | undefined;
  /** ARM ids of the user-assigned identities attached, as given. */
  userAssigned: string[];
}

/** Any ARM resource other than a user-assigned identity (those have their own map). */
export interface GenericResource {
  id: string;
  name: string;
  type: string;
  location: string;
  tags: Record<string, string>;
  identity: ResourceIdentity | undefined;
  createdAt: Date;
}

export interface UserAssignedIdentity {
  id: string;
  name: string;
  location: string;
  tags: Record<string, string>;
  principalId: string;
  clientId: string;
  createdAt: Date;
}

/** A federated identity credential of a user-assigned identity: tokens from `issuer` for `subject` may act as the identity. */
export interface FederatedIdentityCredential {
  /** The identity it belongs to (ARM id, as the identity's own id). */
  identityId: string;
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
}

export interface Permission {
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
}

export interface RoleDefinition {
  /** The role's GUID (its ARM name). */
  name: string;
  roleName: string;
  roleType: 'BuiltInRole' | 'CustomRole';
  description: string;
  assignableScopes: string[];
  permissions: Permission[];
  createdOn: Date;
  updatedOn: Date;
  /** Object id of whoever created or last changed a custom role through ARM; absent for built-in and seeded roles. */
  createdBy?: string | null;
  updatedBy?: string | null;
}

export type PrincipalType = 'User' | 'Group' | 'ServicePrincipal' | 'ForeignGroup' | 'Device';

export interface RoleAssignment {
  /** Full ARM id, in the casing it was created with. */
  id: string;
  name: string;
  scope: string;
  /** GUID of the role definition. */
  roleDefinitionName: string;
  principalId: string;
  principalType: PrincipalType;
  condition: string | null;
  conditionVersion: string | null;
  description: string | null;
  createdOn: Date;
  updatedOn: Date;
  createdBy: string | null;
  updatedBy: string | null;
}

export type ServicePrincipalType = 'Application' | 'ManagedIdentity' | 'Legacy' | 'SocialIdp';

export interface AppRole {
  id: string;
  value: string;
  displayName: string;
  description: string;
  allowedMemberTypes: string[];
  isEnabled: boolean;
  origin: 'Application';
}

export interface ServicePrincipal {
  id: string;
  appId: string;
  displayName: string;
  servicePrincipalType: ServicePrincipalType;
  alternativeNames: string[];
  servicePrincipalNames: string[];
  appRoles: AppRole[];
  accountEnabled: boolean;
  createdDateTime: Date;
  /** Set when the object sits in the directory's deleted items. */
  deletedDateTime?: Date;
}

export interface User {
  id: string;
  displayName: string;
  userPrincipalName: string;
}

export interface Group {
  id: string;
  displayName: string;
  /** Direct members: principal or group object ids. */
  members: string[];
  securityEnabled: boolean;
  isAssignableToRole: boolean;
}

export interface AppRoleAssignment {
  /** Opaque base64url id, as Graph issues them. */
  id: string;
  appRoleId: string;
  principalId: string;
  principalType: 'ServicePrincipal' | 'User' | 'Group';
  /** Object id of the resource service principal (Microsoft Graph's, for Graph permissions). */
  resourceId: string;
  createdDateTime: Date;
}

export interface DirectoryRoleDefinition {
  templateId: string;
  displayName: string;
  isPrivileged: boolean;
}

export interface DirectoryRoleAssignment {
  id: string;
  principalId: string;
  roleDefinitionId: string;
  directoryScopeId: string;
}

export type DirectoryObject =
  | { kind: 'servicePrincipal'; object: ServicePrincipal }
  | { kind: 'user'; object: User }
  | { kind: 'group'; object: Group };
