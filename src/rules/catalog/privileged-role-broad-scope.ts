/**
 * privileged-role-broad-scope: a workload identity holds a privileged administrator role at a broad scope.
 *
 * Fires when an Azure role assignment's principal is a workload identity (managed identities always,
 * other kinds per policy `principals.include`), its role is a privileged administrator role judged from
 * its permissions (grants Microsoft.Authorization/roleAssignments/write, or writes on any resource type:
 * Owner, Contributor, User Access Administrator, Role Based Access Control Administrator, a custom `*`
 * role), and the assignment's scope level is one of `scopes` (default: root, management group,
 * subscription). Severity critical at root and management group, high at subscription, medium below.
 * An ABAC condition on the assignment does not make it quiet (it constrains only what may be assigned);
 * it is recorded in the evidence.
 * Stays quiet for Reader-like and data-plane roles (Storage Blob Data Owner), for a role definition the
 * snapshot does not have, for scopes that are not ARM scopes, and for principals of unknown kind.
 * Evidence names the permissions that make the role privileged and, for `remediation: downscope`, the
 * narrower scope(s) to move the assignment to: the identity's own resource group (from its user-assigned
 * identity id or its host resource id), only when it lies within the assignment's scope (under a
 * management group: per the swept subscription's management-group chain); otherwise no proposal and a
 * `blockedBecause` saying why.
 * One finding per role assignment id.
 *
 * Example policy:
 *   rules:
 *     privileged-role-broad-scope: { action: remediate, remediation: downscope, scopes: [root, managementGroup, subscription] }
 */
import { z } from 'zod';
import { fingerprint } from '../../model/finding.ts';
import type { RoleAssignmentRecord, ScopeLevel } from '../../model/snapshot.ts';
import { isWithinScope, resourceGroupScopeOf, resourceNameOf, scopeLevel, subscriptionIdOf } from '../arm-scope.ts';
import { assignmentFields, conditionOf, isWorkloadIdentity, principalFields, severityAtLevel } from '../finding-fields.ts';
import { privilegeReasons } from '../role-classification.ts';
import type { FindingDraft, Rule, RuleContext } from '../rule.ts';
import type { SnapshotIndex } from '../snapshot-index.ts';

const SCOPE_LEVELS = ['root', 'managementGroup', 'subscription', 'resourceGroup', 'resource'] as const satisfies readonly ScopeLevel[];

const Params = z.object({
  /** What remediation proposes: remove the assignment, or move it down to the identity's own resource group. */
  remediation: z.enum(['remove', 'downscope']).default('downscope'),
  /** Scope levels that count as broad. */
  scopes: z.array(z.enum(SCOPE_LEVELS)).min(1).default(['root', 'managementGroup', 'subscription']),
});
type Params = z.infer<typeof Params>;

export const privilegedRoleBroadScope: Rule<Params> = {
  id: 'privileged-role-broad-scope',
  title: 'Workload identity with a privileged role at broad scope',
  defaultSeverity: 'high',
  defaultAction: 'remediate',
  allowedActions: ['report', 'alert', 'ticket', 'remediate'],
  params: Params,
  evaluate(index, params, context) {
    return index.snapshot.roleAssignments.map((assignment) => judge(index, params, context, assignment)).filter((finding) => finding !== null);
  },
};

function judge(index: SnapshotIndex, params: Params, context: RuleContext, assignment: RoleAssignmentRecord): FindingDraft | null {
  const level = scopeLevel(assignment.scope);
  if (level === null || !params.scopes.includes(level)) return null;
  if (!isWorkloadIdentity(index, assignment.principalId, context)) return null;
  const privilege = index.rolePrivilege(assignment.roleDefinitionId);
  if (!privilege?.privileged) return null;

  const fields = assignmentFields(index, assignment);
  const subject = principalFields(index, assignment.principalId, assignment.principalType);
  const who = subject.principalDisplayName ?? assignment.principalId;
  const proposal = params.remediation === 'downscope' ? downscopeProposal(index, subject.identityResourceId ?? null, assignment.scope, level) : null;
  return {
    id: fingerprint(privilegedRoleBroadScope.id, assignment.id),
    ruleId: privilegedRoleBroadScope.id,
    severity: severityAtLevel(level),
    title: `${who} holds ${fields.roleName} at ${level} scope`,
    description: `${who} (${subject.principalType}) holds the privileged role ${fields.roleName} at ${assignment.scope}. A workload identity rarely needs administrator rights over a whole ${level === 'root' ? 'tenant' : level}; grant it a narrower role or scope.`,
    ...subject,
    ...fields,
    evidence: {
      scopeLevel: level,
      privilegedBecause: privilegeReasons(privilege),
      assignmentCondition: conditionOf(assignment),
      remediation: params.remediation,
      ...(proposal ? { downscope: proposal } : {}),
    },
  };
}

/** The identity's own resource group, when it is a real narrowing of the assignment's scope. */
function downscopeProposal(index: SnapshotIndex, identityResourceId: string | null, assignmentScope: string, level: ScopeLevel) {
  if (level === 'resourceGroup' || level === 'resource') return { proposedScopes: [], blockedBecause: 'the assignment is already at resource-group scope or narrower' };
  const resourceGroup = identityResourceId ? resourceGroupScopeOf(identityResourceId) : null;
  if (!resourceGroup) return { proposedScopes: [], blockedBecause: 'the identity has no resource group the snapshot knows of (not a managed identity, or its resource is unknown)' };
  const within = liesWithin(index, resourceGroup, assignmentScope, level);
  if (within === null) return { proposedScopes: [], blockedBecause: `cannot tell whether ${resourceGroup} lies under ${assignmentScope}: its subscription was not swept` };
  if (!within) return { proposedScopes: [], blockedBecause: `the identity's resource group ${resourceGroup} is not within ${assignmentScope}` };
  return { proposedScopes: [resourceGroup] };
}

/** Management-group ancestry comes from the swept subscription's chain; null when the snapshot cannot tell. */
function liesWithin(index: SnapshotIndex, resourceGroup: string, assignmentScope: string, level: ScopeLevel): boolean | null {
  if (level !== 'managementGroup') return isWithinScope(resourceGroup, assignmentScope);
  const chain = index.managementGroupChainOf(subscriptionIdOf(resourceGroup)!);
  if (chain === undefined) return null;
  const managementGroup = resourceNameOf(assignmentScope).toLowerCase();
  return chain.some((name) => name.toLowerCase() === managementGroup);
}
