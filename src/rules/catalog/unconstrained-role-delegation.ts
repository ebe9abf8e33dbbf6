/**
 * unconstrained-role-delegation: a workload identity can assign any role to anyone, unchecked.
 *
 * Fires when a workload identity's Azure role assignment, at any scope, has a role that grants
 * Microsoft.Authorization/roleAssignments/write (Owner, User Access Administrator, Role Based Access
 * Control Administrator, a custom role with that action or a wildcard covering it) and neither the
 * assignment carries an ABAC condition nor does the granting permission block (role-definition
 * conditions). Such an identity can grant itself or anyone Owner within the scope.
 * Severity critical at root and management group, high at subscription, medium below.
 * Stays quiet for an assignment with a non-empty condition (the "constrained delegation" pattern, e.g.
 * RBAC Administrator limited to assigning some roles), for roles whose notActions take the action away
 * (Contributor), for role definitions the snapshot lacks, and for principals of unknown kind.
 * One finding per role assignment id.
 *
 * Example policy:
 *   rules:
 *     unconstrained-role-delegation: { action: alert }
 */
import { z } from 'zod';
import { fingerprint } from '../../model/finding.ts';
import type { RoleAssignmentRecord } from '../../model/snapshot.ts';
import { scopeLevel } from '../arm-scope.ts';
import { assignmentFields, conditionOf, isWorkloadIdentity, principalFields, severityAtLevel } from '../finding-fields.ts';
import { ROLE_ASSIGNMENT_WRITE } from '../role-classification.ts';
import type { FindingDraft, Rule, RuleContext } from '../rule.ts';
import type { SnapshotIndex } from '../snapshot-index.ts';

const Params = z.object({});
type Params = z.infer<typeof Params>;

export const unconstrainedRoleDelegation: Rule<Params> = {
  id: 'unconstrained-role-delegation',
  title: 'Workload identity can write role assignments without a condition',
  defaultSeverity: 'high',
  defaultAction: 'alert',
  allowedActions: ['report', 'alert', 'ticket'],
  params: Params,
  evaluate(index, _params, context) {
    return index.snapshot.roleAssignments.map((assignment) => judge(index, context, assignment)).filter((finding) => finding !== null);
  },
};

function judge(index: SnapshotIndex, context: RuleContext, assignment: RoleAssignmentRecord): FindingDraft | null {
  if (conditionOf(assignment) !== null) return null;
  const level = scopeLevel(assignment.scope);
  if (level === null || !isWorkloadIdentity(index, assignment.principalId, context)) return null;
  const grant = index.rolePrivilege(assignment.roleDefinitionId)?.roleAssignmentWrite;
  if (!grant?.unconditional) return null;

  const fields = assignmentFields(index, assignment);
  const subject = principalFields(index, assignment.principalId, assignment.principalType);
  const who = subject.principalDisplayName ?? assignment.principalId;
  return {
    id: fingerprint(unconstrainedRoleDelegation.id, assignment.id),
    ruleId: unconstrainedRoleDelegation.id,
    severity: severityAtLevel(level),
    title: `${who} can assign any role at ${assignment.scope}`,
    description: `${fields.roleName} grants ${ROLE_ASSIGNMENT_WRITE} and the assignment has no ABAC condition, so ${who} can give itself or anyone Owner within ${assignment.scope}. Add a condition that limits which roles and principals it may assign, or use a narrower role.`,
    ...subject,
    ...fields,
    evidence: {
      scopeLevel: level,
      grants: ROLE_ASSIGNMENT_WRITE,
      grantedBy: grant.grantedBy,
      assignmentCondition: null,
      permissionConditions: grant.conditions,
    },
  };
}
