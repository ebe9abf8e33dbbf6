/**
 * orphaned-role-assignment: an Azure role assignment whose principal no longer exists, of any principal
 * type (managed identity, application, user, group).
 *
 * Fires when
 *  - the directory says the principal is `absent` (not found and not in deleted items, every lookup
 *    succeeded) and the assignment is older than `graceHours`: a new principal can take a while to
 *    replicate, so a young assignment is not judged. Severity medium; remediation (delete) allowed.
 *  - the principal is `soft-deleted` (in deleted items, restorable for 30 days). Severity low and
 *    `evidence.remediationBlocked` says why it must not be removed: restoring the principal brings its
 *    access back only if the assignment is still there. No grace period: the principal existed.
 * Stays quiet when the principal's state is `unknown` (a lookup failed), not in the snapshot at all, or
 * when Graph still lists it as a managed identity (an inconsistent read is not evidence of deletion);
 * and for an `absent` principal when the assignment's creation time is unknown or younger than the grace.
 * One finding per role assignment id.
 *
 * Example policy:
 *   rules:
 *     orphaned-role-assignment: { action: remediate, graceHours: 48 }
 */
import { z } from 'zod';
import { fingerprint } from '../../model/finding.ts';
import type { PrincipalState, RoleAssignmentRecord } from '../../model/snapshot.ts';
import { scopeLevel } from '../arm-scope.ts';
import { assignmentFields, principalFields } from '../finding-fields.ts';
import type { FindingDraft, Rule, RuleContext } from '../rule.ts';
import type { SnapshotIndex } from '../snapshot-index.ts';
import { ageInHours, DAY_MS, HOUR_MS, instant } from '../time.ts';

const Params = z.object({
  /** Assignments younger than this are not judged (directory replication lag). */
  graceHours: z.number().nonnegative().default(24),
});
type Params = z.infer<typeof Params>;

/** Entra keeps deleted service principals, users and groups restorable for 30 days. */
const SOFT_DELETE_RETENTION_DAYS = 30;

export const orphanedRoleAssignment: Rule<Params> = {
  id: 'orphaned-role-assignment',
  title: 'Role assignment of a deleted principal',
  defaultSeverity: 'medium',
  defaultAction: 'remediate',
  allowedActions: ['report', 'alert', 'ticket', 'remediate'],
  params: Params,
  evaluate(index, params, context) {
    return index.snapshot.roleAssignments.map((assignment) => judge(index, params, context, assignment)).filter((finding) => finding !== null);
  },
};

function judge(index: SnapshotIndex, params: Params, context: RuleContext, assignment: RoleAssignmentRecord): FindingDraft | null {
  const state = index.principalState(assignment.principalId);
  if (!state || (state.state !== 'absent' && state.state !== 'soft-deleted')) return null;
  if (index.managedIdentityPrincipal(assignment.principalId)) return null;
  const createdOn = instant(assignment.createdOn);
  const common = {
    id: fingerprint(orphanedRoleAssignment.id, assignment.id),
    ruleId: orphanedRoleAssignment.id,
    ...principalFields(index, assignment.principalId, assignment.principalType),
    ...assignmentFields(index, assignment),
  };
  const facts = {
    armPrincipalType: assignment.principalType,
    scopeLevel: scopeLevel(assignment.scope),
    assignmentCreatedOn: assignment.createdOn,
    assignmentAgeHours: createdOn === null ? null : ageInHours(createdOn, context.asOf),
  };
  const roleName = common.roleName ?? assignment.roleDefinitionId;

  if (state.state === 'soft-deleted') {
    const restorableUntil = restorableUntilOf(state);
    return {
      ...common,
      severity: 'low',
      title: `Role assignment of soft-deleted principal ${assignment.principalId}`,
      description: `${roleName} at ${assignment.scope} belongs to a principal in the directory's deleted items. It can be restored${restorableUntil ? ` until ${restorableUntil}` : ''}, and restoring it brings this access back, so the assignment is reported, not removed.`,
      evidence: {
        principalState: 'soft-deleted',
        deletedDateTime: state.deletedDateTime,
        restorableUntil,
        remediationBlocked: `principal is soft-deleted and restorable until ${restorableUntil ?? 'an unknown date (deletion time not reported)'}`,
        ...facts,
      },
    };
  }

  if (createdOn === null || context.asOf.getTime() - createdOn < params.graceHours * HOUR_MS) return null;
  return {
    ...common,
    severity: orphanedRoleAssignment.defaultSeverity,
    title: `Role assignment of deleted principal ${assignment.principalId}`,
    description: `${roleName} at ${assignment.scope} is assigned to ${assignment.principalId} (${assignment.principalType}), which exists neither in the directory nor in its deleted items. The assignment grants nothing and only clutters access reviews and the 4,000-assignment limit.`,
    evidence: { principalState: 'absent', graceHours: params.graceHours, ...facts },
  };
}

function restorableUntilOf(state: Extract<PrincipalState, { state: 'soft-deleted' }>): string | null {
  const deletedAt = instant(state.deletedDateTime);
  return deletedAt === null ? null : new Date(deletedAt + SOFT_DELETE_RETENTION_DAYS * DAY_MS).toISOString();
}
