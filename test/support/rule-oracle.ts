import { roleGrants } from '../../emulator/authz/rbac.ts';
import { idKey, parseScope } from '../../emulator/state/ids.ts';
import type { RoleDefinition } from '../../emulator/state/model.ts';
import type { Tenant } from '../../emulator/state/tenant.ts';
import { RULE_IDS, type RuleId } from '../../src/rules/rule.ts';

/**
 * A deliberately plain reading of the rule catalogue (DESIGN.md §4) straight off the emulator's
 * Tenant, with the default parameters and the default policy (managed identities only). Seed tests
 * use it to check what a seed plants; it is not the product's rule engine, whose findings the
 * benchmarks compare against the same expectations.
 */
export { RULE_IDS, type RuleId };

export interface ExpectedFinding {
  /** What the finding is about (an assignment id, an identity, a grant ...): one finding per key. */
  key: string;
  /** The principal the finding names. */
  principalId: string;
  /** Reported, but never to be remediated (an assignment of a soft-deleted principal). */
  remediationBlocked?: true;
}

export interface OracleParameters {
  asOf: Date;
  newWithinHours?: number;
  staleDays?: number;
  unattachedGraceHours?: number;
}

const HOUR = 3_600_000;
/** Graph application permissions that change the directory or reach everyone's data. */
const PRIVILEGED_GRAPH_PERMISSION = /ReadWrite|FullControl|^Mail\.Send$/i;
const WRITE_ROLE_ASSIGNMENTS = 'Microsoft.Authorization/roleAssignments/write';
/** An action no role names: a role that grants it can write any resource type (Contributor-equivalent). */
const ANY_RESOURCE_WRITE = 'Microsoft.IdwardenProbe/anything/write';

const isBroad = (scope: string) => ['root', 'managementGroup', 'subscription'].includes(parseScope(scope)?.kind ?? '');
const writesRoleAssignments = (role: RoleDefinition) => roleGrants(role, WRITE_ROLE_ASSIGNMENTS);
/** Owner, Contributor, User Access Administrator, RBAC Administrator and any role granting what they grant. */
const isPrivilegedRole = (role: RoleDefinition) => writesRoleAssignments(role) || roleGrants(role, ANY_RESOURCE_WRITE);
/** A wildcard that reaches more than reads: `*`, `*\/write`, `Microsoft.Authorization/*` (not `*\/read`). */
const isWildcard = (pattern: string) => pattern.includes('*') && !pattern.toLowerCase().endsWith('/read');

export function expectedFindings(tenant: Tenant, parameters: OracleParameters): Record<RuleId, ExpectedFinding[]> {
  const asOf = parameters.asOf.getTime();
  const newSince = asOf - (parameters.newWithinHours ?? 24) * HOUR;
  const staleBefore = asOf - (parameters.staleDays ?? 90) * 24 * HOUR;
  const graceBefore = asOf - (parameters.unattachedGraceHours ?? 24) * HOUR;
  const findings = Object.fromEntries(RULE_IDS.map((rule) => [rule, [] as ExpectedFinding[]])) as Record<RuleId, ExpectedFinding[]>;
  const add = (rule: RuleId, key: string, principalId: string, blocked?: { remediationBlocked: true }) => findings[rule].push({ key, principalId, ...blocked });

  const managedIdentities = new Map([...tenant.servicePrincipals.values()].filter((p) => p.servicePrincipalType === 'ManagedIdentity').map((p) => [p.id.toLowerCase(), p]));
  const isManagedIdentity = (principalId: string) => managedIdentities.has(principalId.toLowerCase());

  // new-identity
  for (const identity of tenant.userAssignedIdentities.values()) {
    if (identity.createdAt.getTime() > newSince && identity.createdAt.getTime() <= asOf) add('new-identity', identity.id, identity.principalId);
  }
  for (const resource of tenant.resources.values()) {
    const principalId = resource.identity?.principalId;
    if (principalId && resource.createdAt.getTime() > newSince && resource.createdAt.getTime() <= asOf) add('new-identity', resource.id, principalId);
  }

  // unattached-user-assigned-identity
  const attached = new Set<string>();
  for (const resource of tenant.resources.values()) for (const uami of resource.identity?.userAssigned ?? []) attached.add(idKey(uami));
  for (const identity of tenant.userAssignedIdentities.values()) {
    if (!attached.has(idKey(identity.id)) && identity.createdAt.getTime() < graceBefore) add('unattached-user-assigned-identity', identity.id, identity.principalId);
  }

  // orphaned-identity-principal
  for (const principal of managedIdentities.values()) {
    const resourceId = principal.alternativeNames.find((name) => name.startsWith('/'));
    if (resourceId && !tenant.scopeExists(resourceId)) add('orphaned-identity-principal', principal.id, principal.id);
  }

  // Azure role assignments: orphaned, broad privilege, delegation, wildcard custom roles; who still holds roles.
  const holdsRoles = new Set<string>();
  for (const assignment of tenant.roleAssignments.values()) {
    const principalKey = assignment.principalId.toLowerCase();
    holdsRoles.add(principalKey);
    // Not in the directory: orphaned. Still in its deleted items: reported too, but restorable, so never removed.
    if (!tenant.directoryObject(principalKey)) {
      add('orphaned-role-assignment', assignment.id, assignment.principalId, tenant.deletedServicePrincipals.has(principalKey) ? { remediationBlocked: true } : undefined);
    }
    if (!isManagedIdentity(principalKey)) continue;
    const role = tenant.roleDefinition(assignment.roleDefinitionName)!;
    if (isPrivilegedRole(role) && isBroad(assignment.scope)) add('privileged-role-broad-scope', assignment.id, assignment.principalId);
    if (writesRoleAssignments(role) && !assignment.condition) add('unconstrained-role-delegation', assignment.id, assignment.principalId);
    if (role.roleType === 'CustomRole' && role.permissions.some((p) => [...p.actions, ...p.dataActions].some(isWildcard))) add('custom-role-wildcard', assignment.id, assignment.principalId);
  }

  // stale-identity
  for (const principal of managedIdentities.values()) {
    if (!holdsRoles.has(principal.id.toLowerCase())) continue;
    const lastSignIn = tenant.lastSignIn.get(principal.appId.toLowerCase());
    const stale = lastSignIn ? lastSignIn.getTime() < staleBefore : principal.createdDateTime.getTime() < staleBefore;
    if (stale) add('stale-identity', principal.id, principal.id);
  }

  // privileged-graph-app-role
  const graph = tenant.microsoftGraph;
  for (const grant of tenant.appRoleAssignments.values()) {
    const value = graph.appRoles.find((role) => role.id === grant.appRoleId)?.value;
    if (value && PRIVILEGED_GRAPH_PERMISSION.test(value) && isManagedIdentity(grant.principalId)) add('privileged-graph-app-role', grant.id, grant.principalId);
  }

  // privileged-directory-role
  const privilegedDirectoryRole = (roleDefinitionId: string) => tenant.directoryRoles.get(roleDefinitionId.toLowerCase())?.isPrivileged ?? false;
  for (const grant of tenant.directoryRoleAssignments.values()) {
    if (privilegedDirectoryRole(grant.roleDefinitionId) && isManagedIdentity(grant.principalId)) add('privileged-directory-role', grant.id, grant.principalId);
  }

  // privileged-group-membership: every managed identity inside a group that holds broad privilege.
  const privilegedGroups = new Set<string>();
  for (const assignment of tenant.roleAssignments.values()) {
    if (tenant.groups.has(assignment.principalId.toLowerCase()) && isBroad(assignment.scope) && isPrivilegedRole(tenant.roleDefinition(assignment.roleDefinitionName)!)) {
      privilegedGroups.add(assignment.principalId.toLowerCase());
    }
  }
  for (const grant of tenant.directoryRoleAssignments.values()) {
    if (tenant.groups.has(grant.principalId.toLowerCase()) && privilegedDirectoryRole(grant.roleDefinitionId)) privilegedGroups.add(grant.principalId.toLowerCase());
  }
  for (const groupId of privilegedGroups) {
    for (const memberId of transitiveMembers(tenant, groupId)) {
      if (isManagedIdentity(memberId)) add('privileged-group-membership', `${memberId}|${groupId}`, memberId);
    }
  }

  return findings;
}

function transitiveMembers(tenant: Tenant, groupId: string): Set<string> {
  const members = new Set<string>();
  const pending = [groupId];
  while (pending.length > 0) {
    for (const member of tenant.groups.get(pending.pop()!)?.members ?? []) {
      const key = member.toLowerCase();
      if (members.has(key)) continue;
      members.add(key);
      if (tenant.groups.has(key)) pending.push(key);
    }
  }
  return members;
}
