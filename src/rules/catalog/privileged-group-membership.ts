/**
 * privileged-group-membership: a workload identity gets privilege through a group it belongs to.
 *
 * Fires for each (workload identity, group, grant) where the identity is a member of the group, directly
 * or through nested groups (the snapshot's transitive memberOf), and the group
 *  - holds an Azure role assignment whose role is a privileged administrator role (judged from its
 *    permissions, as in privileged-role-broad-scope) at a scope level in `scopes`; severity critical at
 *    root and management group, high at subscription, medium below; or
 *  - holds a privileged Entra directory role (as in privileged-directory-role, plus `extraDirectoryRoles`);
 *    severity from the role list.
 * Evidence gives the membership path as far as the snapshot shows it: the identity's other groups that
 * are themselves members of the granting group (empty when the membership is direct or the nested
 * groups' own memberships were not read).
 * Stays quiet for non-privileged or narrow-scope group grants, unknown role definitions, and members of
 * unknown kind or that are not workload identities.
 * One finding per (principal, group, role assignment) or (principal, group, directory role, directory scope).
 *
 * Example policy:
 *   rules:
 *     privileged-group-membership: { action: ticket, scopes: [root, managementGroup, subscription] }
 */
import { z } from 'zod';
import { fingerprint } from '../../model/finding.ts';
import type { DirectoryRoleAssignmentRecord, RoleAssignmentRecord, ScopeLevel } from '../../model/snapshot.ts';
import { scopeLevel } from '../arm-scope.ts';
import { assignmentFields, identityLocation, isWorkloadIdentity, principalFields, severityAtLevel } from '../finding-fields.ts';
import { privilegedDirectoryRoleOf } from '../privilege-data.ts';
import { privilegeReasons, type RolePrivilege } from '../role-classification.ts';
import type { FindingDraft, Rule } from '../rule.ts';
import type { SnapshotIndex } from '../snapshot-index.ts';

const SCOPE_LEVELS = ['root', 'managementGroup', 'subscription', 'resourceGroup', 'resource'] as const satisfies readonly ScopeLevel[];

const Params = z.object({
  /** Scope levels at which a group's privileged Azure role counts as broad. */
  scopes: z.array(z.enum(SCOPE_LEVELS)).min(1).default(['root', 'managementGroup', 'subscription']),
  /** More directory roles that count as privileged, by display name or template id. */
  extraDirectoryRoles: z.array(z.string().min(1)).default([]),
});
type Params = z.infer<typeof Params>;

export const privilegedGroupMembership: Rule<Params> = {
  id: 'privileged-group-membership',
  title: 'Workload identity privileged through group membership',
  defaultSeverity: 'high',
  defaultAction: 'ticket',
  allowedActions: ['report', 'alert', 'ticket'],
  params: Params,
  evaluate(index, params, context) {
    const grantsOf = privilegedGrantsOfGroup(index, params);
    const findings: FindingDraft[] = [];
    for (const memberId of Object.keys(index.snapshot.memberOf)) {
      if (!isWorkloadIdentity(index, memberId, context)) continue;
      const groupIds = uniqueIds(index.groupsOf(memberId)).filter((groupId) => groupId.toLowerCase() !== memberId.toLowerCase());
      for (const groupId of groupIds) {
        const grants = grantsOf(groupId);
        if (grants.azure.length === 0 && grants.directory.length === 0) continue;
        const membership = { transitive: true, intermediateGroups: intermediateGroups(index, groupIds, groupId) };
        for (const grant of grants.azure) findings.push(azureFinding(index, memberId, groupId, grant, membership));
        for (const grant of grants.directory) findings.push(directoryFinding(index, memberId, groupId, grant, membership));
      }
    }
    return findings;
  },
};

interface AzureGrant {
  assignment: RoleAssignmentRecord;
  level: ScopeLevel;
  privilege: RolePrivilege;
}

interface DirectoryGrant {
  assignment: DirectoryRoleAssignmentRecord;
  role: NonNullable<ReturnType<typeof privilegedDirectoryRoleOf>>;
}

interface Membership {
  transitive: boolean;
  intermediateGroups: string[];
}

/** A group's privileged grants, worked out once per group however many members it has. */
function privilegedGrantsOfGroup(index: SnapshotIndex, params: Params) {
  const extraRoles = new Set(params.extraDirectoryRoles.map((role) => role.toLowerCase()));
  const cache = new Map<string, { azure: AzureGrant[]; directory: DirectoryGrant[] }>();
  return (groupId: string) => {
    const key = groupId.toLowerCase();
    let grants = cache.get(key);
    if (grants) return grants;
    const azure = index.assignmentsOf(groupId).flatMap((assignment): AzureGrant[] => {
      const level = scopeLevel(assignment.scope);
      const privilege = index.rolePrivilege(assignment.roleDefinitionId);
      return level !== null && params.scopes.includes(level) && privilege?.privileged ? [{ assignment, level, privilege }] : [];
    });
    const directory = index.directoryRoleAssignmentsOf(groupId).flatMap((assignment): DirectoryGrant[] => {
      const role = privilegedDirectoryRoleOf(assignment, extraRoles);
      return role ? [{ assignment, role }] : [];
    });
    cache.set(key, (grants = { azure, directory }));
    return grants;
  };
}

function azureFinding(index: SnapshotIndex, memberId: string, groupId: string, grant: AzureGrant, membership: Membership): FindingDraft {
  const subject = principalFields(index, memberId);
  const fields = assignmentFields(index, grant.assignment);
  const who = subject.principalDisplayName ?? memberId;
  const group = index.group(groupId)?.displayName ?? groupId;
  return {
    id: fingerprint(privilegedGroupMembership.id, memberId, groupId, grant.assignment.id),
    ruleId: privilegedGroupMembership.id,
    severity: severityAtLevel(grant.level),
    title: `${who} holds ${fields.roleName} at ${grant.level} scope through group ${group}`,
    description: `${who} (${subject.principalType}) is a member of ${group}, which holds the privileged role ${fields.roleName} at ${grant.assignment.scope}. Direct assignment reviews miss this access.`,
    ...subject,
    ...fields,
    groupId,
    evidence: {
      via: 'azureRole',
      groupDisplayName: index.group(groupId)?.displayName ?? null,
      membership,
      scopeLevel: grant.level,
      privilegedBecause: privilegeReasons(grant.privilege),
    },
  };
}

function directoryFinding(index: SnapshotIndex, memberId: string, groupId: string, grant: DirectoryGrant, membership: Membership): FindingDraft {
  const subject = principalFields(index, memberId);
  const who = subject.principalDisplayName ?? memberId;
  const group = index.group(groupId)?.displayName ?? groupId;
  return {
    id: fingerprint(privilegedGroupMembership.id, memberId, groupId, grant.assignment.roleTemplateId, grant.assignment.directoryScopeId),
    ruleId: privilegedGroupMembership.id,
    severity: grant.role.severity,
    title: `${who} holds the Entra role ${grant.role.displayName} through group ${group}`,
    description: `${who} (${subject.principalType}) is a member of ${group}, which is assigned the privileged directory role ${grant.role.displayName}.`,
    ...subject,
    ...identityLocation(subject.identityResourceId ?? null),
    directoryRole: grant.role.displayName,
    groupId,
    evidence: {
      via: 'directoryRole',
      groupDisplayName: index.group(groupId)?.displayName ?? null,
      membership,
      roleTemplateId: grant.assignment.roleTemplateId,
      directoryScopeId: grant.assignment.directoryScopeId,
      privilegedBecause: grant.role.source,
    },
  };
}

/** The member's other groups that are themselves (transitively) in the granting group. */
function intermediateGroups(index: SnapshotIndex, memberGroups: readonly string[], groupId: string): string[] {
  const target = groupId.toLowerCase();
  return memberGroups.filter((candidate) => candidate.toLowerCase() !== target && index.groupsOf(candidate).some((outer) => outer.toLowerCase() === target));
}

function uniqueIds(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  return ids.filter((id) => {
    const key = id.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
