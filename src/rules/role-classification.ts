import type { RoleDefinitionRecord, RolePermission } from '../model/snapshot.ts';

/**
 * How privileged an Azure role is, judged from what its permissions grant, never from its name: a custom
 * role called "reader-ish" with `*` is as privileged as Owner, and a renamed built-in changes nothing.
 *
 * Matching follows ARM: action patterns compare case-insensitively, `*` matches any run of characters
 * (slashes included), and a permission block's notActions subtract from that same block's actions.
 */

export const ROLE_ASSIGNMENT_WRITE = 'Microsoft.Authorization/roleAssignments/write';

/**
 * An action no resource provider has. A role that grants it grants writes on providers it never named
 * (`*`, `*\/write`, `*\/*`, `Microsoft.*`), which is what "broad write" means.
 */
export const ARBITRARY_WRITE_PROBE = 'Microsoft.IdwardenProbe/anything/write';

export function actionMatches(pattern: string, action: string): boolean {
  const source = pattern
    .split('*')
    .map((literal) => literal.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 'i').test(action);
}

/** How a role grants one action: the patterns that grant it and the ABAC conditions on the blocks that do. */
export interface ActionGrant {
  action: string;
  grantedBy: string[];
  /** Conditions of the permission blocks that grant the action (empty when none carries one). */
  conditions: string[];
  /** Whether at least one granting block carries no condition. */
  unconditional: boolean;
}

export function grantOf(role: RoleDefinitionRecord, action: string): ActionGrant | null {
  const granting = role.permissions
    .map((permission) => ({ permission, patterns: patternsGranting(permission, action) }))
    .filter(({ patterns }) => patterns.length > 0);
  if (granting.length === 0) return null;
  const conditions = granting.map(({ permission }) => conditionOf(permission)).filter((condition): condition is string => condition !== null);
  return {
    action,
    grantedBy: unique(granting.flatMap(({ patterns }) => patterns)),
    conditions,
    unconditional: granting.some(({ permission }) => conditionOf(permission) === null),
  };
}

export const canWriteRoleAssignments = (role: RoleDefinitionRecord) => grantOf(role, ROLE_ASSIGNMENT_WRITE) !== null;

export const hasBroadWrite = (role: RoleDefinitionRecord) => grantOf(role, ARBITRARY_WRITE_PROBE) !== null;

export const isPrivilegedAdministrator = (role: RoleDefinitionRecord) => canWriteRoleAssignments(role) || hasBroadWrite(role);

/** Control-plane action patterns with a wildcard that can reach more than reads (`*\/read` and `X/*\/read` are fine). */
export const wildcardActions = (role: RoleDefinitionRecord) => unique(role.permissions.flatMap((permission) => permission.actions.filter(isWideningWildcard)));

/** The same for data-plane actions (`Microsoft.Storage/*` in dataActions reaches every blob). */
export const wildcardDataActions = (role: RoleDefinitionRecord) =>
  unique(role.permissions.flatMap((permission) => permission.dataActions.filter(isWideningWildcard)));

/** Everything the rules say about a role, computed once per role definition. */
export interface RolePrivilege {
  privileged: boolean;
  roleAssignmentWrite: ActionGrant | null;
  broadWrite: ActionGrant | null;
  wildcardActions: string[];
  wildcardDataActions: string[];
}

export function classifyRole(role: RoleDefinitionRecord): RolePrivilege {
  const roleAssignmentWrite = grantOf(role, ROLE_ASSIGNMENT_WRITE);
  const broadWrite = grantOf(role, ARBITRARY_WRITE_PROBE);
  return {
    privileged: roleAssignmentWrite !== null || broadWrite !== null,
    roleAssignmentWrite,
    broadWrite,
    wildcardActions: wildcardActions(role),
    wildcardDataActions: wildcardDataActions(role),
  };
}

/** Evidence: which permissions make a role privileged, in words a reviewer can check against the role. */
export function privilegeReasons(privilege: RolePrivilege): Record<string, unknown>[] {
  const reasons: Record<string, unknown>[] = [];
  if (privilege.roleAssignmentWrite) reasons.push({ grants: ROLE_ASSIGNMENT_WRITE, ...describe(privilege.roleAssignmentWrite) });
  if (privilege.broadWrite) reasons.push({ grants: 'write on any resource type', ...describe(privilege.broadWrite) });
  return reasons;
}

function describe(grant: ActionGrant) {
  return grant.conditions.length > 0 ? { grantedBy: grant.grantedBy, permissionConditions: grant.conditions } : { grantedBy: grant.grantedBy };
}

function patternsGranting(permission: RolePermission, action: string): string[] {
  if (permission.notActions.some((pattern) => actionMatches(pattern, action))) return [];
  return permission.actions.filter((pattern) => actionMatches(pattern, action));
}

function conditionOf(permission: RolePermission): string | null {
  return permission.condition && permission.condition.trim() !== '' ? permission.condition : null;
}

function isWideningWildcard(pattern: string): boolean {
  return pattern.includes('*') && !pattern.toLowerCase().endsWith('/read');
}

const unique = (values: string[]) => [...new Set(values)];
