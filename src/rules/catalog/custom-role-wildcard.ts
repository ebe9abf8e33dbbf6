/**
 * custom-role-wildcard: a custom role with wildcard actions is assigned to a workload identity.
 *
 * Fires when a workload identity's Azure role assignment (any scope) uses a role whose roleType is
 * CustomRole and whose actions (or, with `includeDataActions`, dataActions) contain a pattern with `*`
 * that reaches more than reads: `*`, `*\/write`, `Microsoft.Authorization/*`, `Microsoft.Compute/*`.
 * A wildcard grows silently as providers add operations, which is why a custom role should list actions.
 * Severity high when the role is also a privileged administrator role, else medium.
 * Stays quiet for read-only wildcards (`*\/read`, `Microsoft.Insights/*\/read`), for wildcards only in
 * notActions / notDataActions, for built-in roles (Microsoft maintains those), for role definitions the
 * snapshot lacks, and for principals of unknown kind.
 * One finding per role assignment id.
 *
 * Example policy:
 *   rules:
 *     custom-role-wildcard: { action: ticket, includeDataActions: false }
 */
import { z } from 'zod';
import { fingerprint } from '../../model/finding.ts';
import type { RoleAssignmentRecord } from '../../model/snapshot.ts';
import { scopeLevel } from '../arm-scope.ts';
import { assignmentFields, isWorkloadIdentity, principalFields } from '../finding-fields.ts';
import type { FindingDraft, Rule, RuleContext } from '../rule.ts';
import type { SnapshotIndex } from '../snapshot-index.ts';

const Params = z.object({
  /** Also count wildcards in dataActions (data-plane access such as every blob of every account). */
  includeDataActions: z.boolean().default(true),
});
type Params = z.infer<typeof Params>;

export const customRoleWildcard: Rule<Params> = {
  id: 'custom-role-wildcard',
  title: 'Custom role with wildcard actions assigned to a workload identity',
  defaultSeverity: 'medium',
  defaultAction: 'ticket',
  allowedActions: ['report', 'alert', 'ticket'],
  params: Params,
  evaluate(index, params, context) {
    return index.snapshot.roleAssignments.map((assignment) => judge(index, params, context, assignment)).filter((finding) => finding !== null);
  },
};

function judge(index: SnapshotIndex, params: Params, context: RuleContext, assignment: RoleAssignmentRecord): FindingDraft | null {
  const role = index.roleDefinition(assignment.roleDefinitionId);
  const privilege = index.rolePrivilege(assignment.roleDefinitionId);
  if (!role || !privilege || role.roleType !== 'CustomRole') return null;
  const wildcardDataActions = params.includeDataActions ? privilege.wildcardDataActions : [];
  if (privilege.wildcardActions.length === 0 && wildcardDataActions.length === 0) return null;
  if (!isWorkloadIdentity(index, assignment.principalId, context)) return null;

  const subject = principalFields(index, assignment.principalId, assignment.principalType);
  const patterns = [...privilege.wildcardActions, ...wildcardDataActions];
  return {
    id: fingerprint(customRoleWildcard.id, assignment.id),
    ruleId: customRoleWildcard.id,
    severity: privilege.privileged ? 'high' : customRoleWildcard.defaultSeverity,
    title: `Custom role ${role.roleName} with wildcard actions is assigned to ${subject.principalDisplayName ?? assignment.principalId}`,
    description: `The custom role ${role.roleName} grants ${patterns.join(', ')}. Wildcards grow with every operation a provider adds; list the actions the workload needs instead.`,
    ...subject,
    ...assignmentFields(index, assignment),
    evidence: {
      roleType: role.roleType,
      wildcardActions: privilege.wildcardActions,
      wildcardDataActions,
      privilegedAdministrator: privilege.privileged,
      scopeLevel: scopeLevel(assignment.scope),
      assignableScopes: role.assignableScopes,
    },
  };
}
