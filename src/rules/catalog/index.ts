import { RULE_IDS, type Rule, type RuleId } from '../rule.ts';
import { customRoleWildcard } from './custom-role-wildcard.ts';
import { newIdentity } from './new-identity.ts';
import { orphanedIdentityPrincipal } from './orphaned-identity-principal.ts';
import { orphanedRoleAssignment } from './orphaned-role-assignment.ts';
import { privilegedDirectoryRole } from './privileged-directory-role.ts';
import { privilegedGraphAppRole } from './privileged-graph-app-role.ts';
import { privilegedGroupMembership } from './privileged-group-membership.ts';
import { privilegedRoleBroadScope } from './privileged-role-broad-scope.ts';
import { staleIdentity } from './stale-identity.ts';
import { unattachedUserAssignedIdentity } from './unattached-user-assigned-identity.ts';
import { unconstrainedRoleDelegation } from './unconstrained-role-delegation.ts';

/** The rule catalogue keyed by id; the type makes a missing or misnamed rule a compile error. */
export const ruleById: { readonly [Id in RuleId]: Rule } = {
  'new-identity': newIdentity,
  'orphaned-role-assignment': orphanedRoleAssignment,
  'unattached-user-assigned-identity': unattachedUserAssignedIdentity,
  'orphaned-identity-principal': orphanedIdentityPrincipal,
  'stale-identity': staleIdentity,
  'privileged-role-broad-scope': privilegedRoleBroadScope,
  'unconstrained-role-delegation': unconstrainedRoleDelegation,
  'custom-role-wildcard': customRoleWildcard,
  'privileged-graph-app-role': privilegedGraphAppRole,
  'privileged-directory-role': privilegedDirectoryRole,
  'privileged-group-membership': privilegedGroupMembership,
};

/** Every rule, in the catalogue's order (RULE_IDS). */
export const rules: readonly Rule[] = RULE_IDS.map((id) => ruleById[id]);
