import type { Permission, RoleAssignment, RoleDefinition } from '../state/model.ts';
import type { Tenant } from '../state/tenant.ts';
import { idKey } from '../state/ids.ts';
import { conditionAllows, type AuthorizationContext } from './abac.ts';

/** ARM action patterns: case-insensitive, `*` matches any run of characters (including `/`). */
export function actionMatches(pattern: string, action: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 'i').test(action);
}

/** Whether one permission block grants a control-plane (or data-plane) action. */
export function permissionGrants(permission: Permission, action: string, dataAction = false): boolean {
  const [allowed, denied] = dataAction ? [permission.dataActions, permission.notDataActions] : [permission.actions, permission.notActions];
  return allowed.some((pattern) => actionMatches(pattern, action)) && !denied.some((pattern) => actionMatches(pattern, action));
}

export function roleGrants(definition: RoleDefinition, action: string, dataAction = false): boolean {
  return definition.permissions.some((permission) => permissionGrants(permission, action, dataAction));
}

export interface AuthorizationDecision {
  allowed: boolean;
  /** The assignment that granted the action, for Event Grid's authorization.evidence. */
  grantedBy?: RoleAssignment;
  role?: RoleDefinition;
}

/**
 * Whether one assignment's role grants the action, and its ABAC condition (if any) holds for this request.
 * Conditions outside the subset emulator/authz/abac.ts understands grant nothing (fail closed).
 */
export function assignmentGrants(tenant: Tenant, assignment: RoleAssignment, action: string, context: AuthorizationContext = {}): RoleDefinition | undefined {
  const role = tenant.roleDefinition(assignment.roleDefinitionName);
  if (!role || !roleGrants(role, action)) return undefined;
  if (assignment.condition && !conditionAllows(assignment.condition, action, context)) return undefined;
  return role;
}

export interface AuthorizeOptions {
  /** The role assignment being created (`request`) or deleted (`resource`), for ABAC conditions. */
  context?: AuthorizationContext;
  /** The principal and its groups, when the caller already has them (one query checks thousands of scopes). */
  identities?: Set<string>;
}

/**
 * Azure RBAC as the emulator enforces it: the caller (or a group it belongs to, transitively) needs
 * an assignment at the scope or above whose role grants the action and whose condition, if any, holds.
 */
export function authorize(tenant: Tenant, principalId: string, action: string, scope: string, options: AuthorizeOptions = {}): AuthorizationDecision {
  const scopes = new Set(tenant.ancestors(scope).map(idKey));
  for (const assignment of tenant.roleAssignments.heldBy(options.identities ?? tenant.securityIdentities(principalId))) {
    if (!scopes.has(idKey(assignment.scope))) continue;
    const role = assignmentGrants(tenant, assignment, action, options.context);
    if (role) return { allowed: true, grantedBy: assignment, role };
  }
  return { allowed: false };
}

/** Microsoft Graph application permissions (app-role values) granted to a service principal. */
export function graphPermissionsOf(tenant: Tenant, principalId: string): Set<string> {
  const graph = tenant.microsoftGraph;
  const values = new Set<string>();
  for (const grant of tenant.appRoleAssignmentsOf(principalId)) {
    if (grant.resourceId.toLowerCase() !== graph.id.toLowerCase()) continue;
    const role = graph.appRoles.find((appRole) => appRole.id.toLowerCase() === grant.appRoleId.toLowerCase());
    if (role) values.add(role.value);
  }
  return values;
}
