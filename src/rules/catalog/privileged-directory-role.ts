/**
 * privileged-directory-role: a workload identity holds a privileged Microsoft Entra directory role.
 *
 * Fires when a directory role assignment's principal is a workload identity and the role is one
 * Microsoft labels privileged (`data/privileged-directory-roles.json`, matched by template id) or is
 * named in `extraRoles` (display name or template id). Severity critical for Global Administrator,
 * Privileged Role Administrator and Privileged Authentication Administrator, high otherwise; an
 * assignment scoped to an administrative unit is reported too, with its directoryScopeId in the evidence.
 * Stays quiet for unlabelled roles (Directory Readers, Groups Administrator ...), for principals of
 * unknown kind, and for roles held only through a group (privileged-group-membership reports those).
 * One finding per (principal, role template, directory scope).
 *
 * Example policy:
 *   rules:
 *     privileged-directory-role: { action: ticket, extraRoles: [Groups Administrator] }
 */
import { z } from 'zod';
import { fingerprint } from '../../model/finding.ts';
import type { DirectoryRoleAssignmentRecord } from '../../model/snapshot.ts';
import { identityLocation, isWorkloadIdentity, principalFields } from '../finding-fields.ts';
import { privilegedDirectoryRoleOf } from '../privilege-data.ts';
import type { FindingDraft, Rule, RuleContext } from '../rule.ts';
import type { SnapshotIndex } from '../snapshot-index.ts';

const Params = z.object({
  /** More directory roles to report, by display name or template id; reported as high. */
  extraRoles: z.array(z.string().min(1)).default([]),
});
type Params = z.infer<typeof Params>;

export const privilegedDirectoryRole: Rule<Params> = {
  id: 'privileged-directory-role',
  title: 'Workload identity with a privileged Entra directory role',
  defaultSeverity: 'high',
  defaultAction: 'ticket',
  allowedActions: ['report', 'alert', 'ticket'],
  params: Params,
  evaluate(index, params, context) {
    const extraRoles = new Set(params.extraRoles.map((role) => role.toLowerCase()));
    return index.snapshot.directoryRoleAssignments.map((assignment) => judge(index, extraRoles, context, assignment)).filter((finding) => finding !== null);
  },
};

function judge(index: SnapshotIndex, extraRoles: ReadonlySet<string>, context: RuleContext, assignment: DirectoryRoleAssignmentRecord): FindingDraft | null {
  const role = privilegedDirectoryRoleOf(assignment, extraRoles);
  if (!role || !isWorkloadIdentity(index, assignment.principalId, context)) return null;

  const subject = principalFields(index, assignment.principalId);
  const who = subject.principalDisplayName ?? assignment.principalId;
  const tenantWide = assignment.directoryScopeId === '/';
  return {
    id: fingerprint(privilegedDirectoryRole.id, assignment.principalId, assignment.roleTemplateId, assignment.directoryScopeId),
    ruleId: privilegedDirectoryRole.id,
    severity: role.severity,
    title: `${who} holds the Entra role ${role.displayName}`,
    description: `${who} (${subject.principalType}) is assigned the privileged directory role ${role.displayName}${tenantWide ? ' tenant-wide' : ` at ${assignment.directoryScopeId}`}. A compromised workload with this role can take over identities beyond its own.`,
    ...subject,
    ...identityLocation(subject.identityResourceId ?? null),
    directoryRole: role.displayName,
    evidence: {
      roleTemplateId: assignment.roleTemplateId,
      directoryScopeId: assignment.directoryScopeId,
      directoryRoleAssignmentId: assignment.id,
      privilegedBecause: role.source,
    },
  };
}
