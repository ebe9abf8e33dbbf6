import { graphPermissionsOf } from '../authz/rbac.ts';
import type { RouteContext } from '../server/route.ts';
import { callerId } from './directory.ts';

/**
 * The application permissions each Graph API accepts: the documented least-privileged one first, then
 * the higher ones the docs list (microsoft-graph-docs-contrib, api-reference/v1.0 permission tables).
 */
const DIRECTORY_READ = ['Directory.Read.All', 'Directory.ReadWrite.All'] as const;

export const PERMISSIONS = {
  /** serviceprincipal-list / -get, list transitiveMemberOf / memberOf, list appRoleAssignments / appRoleAssignedTo. */
  readServicePrincipals: ['Application.Read.All', 'Application.ReadWrite.OwnedBy', 'Application.ReadWrite.All', ...DIRECTORY_READ],
  /** serviceprincipal-delete-approleassignments / -approleassignedto (the v1.0 page also lists Application.ReadWrite.All). */
  deleteAppRoleAssignments: ['AppRoleAssignment.ReadWrite.All', 'Application.ReadWrite.All'],
  /** serviceprincipal-post-approleassignments: AppRoleAssignment.ReadWrite.All, Directory.ReadWrite.All. */
  grantAppRoleAssignments: ['AppRoleAssignment.ReadWrite.All', 'Directory.ReadWrite.All'],
  /** directoryobject-getbyids: Directory.Read.All, no lesser permission. */
  getByIds: [...DIRECTORY_READ],
  /** group-get and group-list-members. */
  readGroups: ['GroupMember.Read.All', 'Group.Read.All', 'GroupMember.ReadWrite.All', 'Group.ReadWrite.All', ...DIRECTORY_READ],
  /** group-list-transitivemembers also takes the ReadBasic permissions. */
  readGroupMembers: ['GroupMember.ReadBasic.All', 'Group.ReadBasic.All', 'GroupMember.Read.All', 'Group.Read.All', 'GroupMember.ReadWrite.All', 'Group.ReadWrite.All', ...DIRECTORY_READ],
  readUsers: ['User.ReadBasic.All', 'User.Read.All', 'User.ReadWrite.All', ...DIRECTORY_READ],
  /** rbacapplication-list-roleassignments / -roledefinitions for the directory provider. */
  readDirectoryRoles: ['RoleManagement.Read.Directory', 'RoleManagement.Read.All', 'RoleManagement.ReadWrite.Directory', ...DIRECTORY_READ],
  /** reportroot-list-serviceprincipalsigninactivities (beta). */
  readSignInActivity: ['AuditLog.Read.All', 'Directory.Read.All'],
  /** user-sendmail: Mail.Send only. */
  sendMail: ['Mail.Send'],
} as const satisfies Record<string, readonly string[]>;

/** deleteditems-list / -get: the permission depends on the type of the deleted object. */
export const DELETED_ITEM_PERMISSIONS = {
  servicePrincipal: PERMISSIONS.readServicePrincipals,
  group: ['Group.Read.All', 'Group.ReadWrite.All', ...DIRECTORY_READ],
  user: ['User.Read.All', 'User.ReadWrite.All', ...DIRECTORY_READ],
} as const;

export type DirectoryObjectType = 'servicePrincipal' | 'user' | 'group' | 'directoryRole';

/**
 * Which members of a directoryObject collection the caller may read in full. Graph still lists the
 * others, with only @odata.type and id set ("limited information returned for inaccessible member objects").
 */
export function readableTypes(ctx: RouteContext): (type: DirectoryObjectType) => boolean {
  const granted = graphPermissionsOf(ctx.core.tenant, callerId(ctx));
  const reads: Record<DirectoryObjectType, readonly string[]> = {
    servicePrincipal: PERMISSIONS.readServicePrincipals,
    user: PERMISSIONS.readUsers,
    group: PERMISSIONS.readGroups,
    directoryRole: PERMISSIONS.readDirectoryRoles,
  };
  return (type) => reads[type].some((permission) => granted.has(permission));
}
