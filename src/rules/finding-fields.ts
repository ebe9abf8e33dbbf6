import type { Severity } from '../model/finding.ts';
import type { PrincipalKind, RoleAssignmentRecord, ScopeLevel } from '../model/snapshot.ts';
import { subscriptionIdOf } from './arm-scope.ts';
import type { FindingDraft, RuleContext } from './rule.ts';
import type { SnapshotIndex } from './snapshot-index.ts';

/** The pieces of a finding every rule fills the same way, so the contract fields mean one thing everywhere. */

/** `principalType` of a finding: the policy's principal vocabulary (`principals.include: [ManagedIdentity]`). */
export const PRINCIPAL_TYPE_LABELS: Record<PrincipalKind, string> = {
  managedIdentity: 'ManagedIdentity',
  application: 'Application',
  user: 'User',
  group: 'Group',
  other: 'Other',
};

/** Managed identities always count as workload identities; other kinds when the policy includes them. */
export function isWorkloadIdentity(index: SnapshotIndex, principalId: string, context: RuleContext): boolean {
  const kind = index.principalKind(principalId);
  return kind === 'managedIdentity' || (kind !== undefined && context.workloadKinds.has(kind));
}

type Subject = Pick<FindingDraft, 'principalId' | 'principalType' | 'principalDisplayName' | 'identityResourceId'>;

/**
 * Who a finding is about. `principalType` falls back to ARM's principalType of an assignment when the
 * directory does not know the principal (a deleted one, say).
 */
export function principalFields(index: SnapshotIndex, principalId: string, armPrincipalType?: string): Subject {
  const kind = index.principalKind(principalId);
  return withoutEmpty({
    principalId,
    principalType: kind ? PRINCIPAL_TYPE_LABELS[kind] : armPrincipalType,
    principalDisplayName: index.principalDisplayName(principalId),
    identityResourceId: index.identityResourceIdOf(principalId),
  });
}

/** Where an identity-centred finding lives: the identity's resource (or its host resource) and its subscription. */
export function identityLocation(identityResourceId: string | null) {
  return withoutEmpty({ scope: identityResourceId, subscriptionId: identityResourceId ? subscriptionIdOf(identityResourceId) : null });
}

/** What an Azure role assignment finding carries; `subscriptionId` is the assignment's (none at management group or root). */
export function assignmentFields(index: SnapshotIndex, assignment: RoleAssignmentRecord) {
  return withoutEmpty({
    subscriptionId: subscriptionIdOf(assignment.scope),
    scope: assignment.scope,
    roleAssignmentId: assignment.id,
    roleDefinitionId: assignment.roleDefinitionId,
    roleName: index.roleDefinition(assignment.roleDefinitionId)?.roleName,
  });
}

/** Drops null and undefined fields: an absent optional field is absent, not null, in the finding JSON. */
export function withoutEmpty<T extends Record<string, unknown>>(fields: T): { [K in keyof T]?: Exclude<T[K], null | undefined> } {
  const kept: Record<string, unknown> = {};
  for (const key in fields) if (fields[key] !== null && fields[key] !== undefined) kept[key] = fields[key];
  return kept as { [K in keyof T]?: Exclude<T[K], null | undefined> };
}

/** An assignment's condition, or null when it has none (ARM sends null, empty strings happen in exports). */
export const conditionOf = (assignment: RoleAssignmentRecord) => (assignment.condition && assignment.condition.trim() !== '' ? assignment.condition : null);

/** How bad a privileged Azure grant is by where it applies. */
export function severityAtLevel(level: ScopeLevel): Severity {
  if (level === 'root' || level === 'managementGroup') return 'critical';
  return level === 'subscription' ? 'high' : 'medium';
}
