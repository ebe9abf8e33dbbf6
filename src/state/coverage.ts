import type { Finding } from '../model/finding.ts';
import { sha256 } from './keys.ts';

/**
 * What a run looked at, in keys a finding can be matched against exactly. A run's scope is a list of these;
 * a finding carries the keys of everything whose change can change it. An open finding the run did not see
 * again is resolved when one of its keys is in the run's scope (and its rule among the rules the run evaluated).
 *
 * The contract for callers: a run that names a key has evaluated, for that key, every rule it lists (all rules
 * when it lists none). A sweep of subscription X names `subscription:x`; an event about role assignment A that
 * re-read A and evaluated the rules about role assignments names `object:<A's id>` with those rules.
 */
export type CoverageKey = `tenant:${string}` | `subscription:${string}` | `object:${string}`;

/** Ids are case-insensitive in Azure (ARM ids, GUIDs), so keys are lowercase. */
export const coverage = {
  tenant: (tenantId: string): CoverageKey => `tenant:${tenantId.toLowerCase()}`,
  subscription: (subscriptionId: string): CoverageKey => `subscription:${subscriptionId.toLowerCase()}`,
  /** A directory object id, or the ARM id of a role assignment, role definition or identity. */
  object: (id: string): CoverageKey => `object:${id.toLowerCase()}`,
};

/** The keys under which a run can resolve this finding: its tenant, its subscription, and each object it is about. */
export function coverageKeysOf(finding: Finding): CoverageKey[] {
  const objects = [
    finding.principalId,
    finding.identityResourceId,
    finding.roleAssignmentId,
    finding.roleDefinitionId,
    finding.appRoleAssignmentId,
    finding.groupId,
  ].filter((id): id is string => id !== undefined && id !== '');
  const keys: CoverageKey[] = [
    coverage.tenant(finding.tenantId),
    ...(finding.subscriptionId ? [coverage.subscription(finding.subscriptionId)] : []),
    ...objects.map(coverage.object),
  ];
  return [...new Set(keys)];
}

/** Normalises a key given by a caller (case) so it matches the keys stored with findings. */
export function normaliseCoverageKey(key: CoverageKey): CoverageKey {
  return key.toLowerCase() as CoverageKey;
}

/**
 * The entity property marking a finding as covered by `key`: Table queries cannot look inside a list, but
 * `cov_<hash> eq true` finds every finding under a key with one query. 128 bits of hash rule out collisions
 * in practice, and matches are checked against the stored key list anyway.
 */
export function coverageProperty(key: CoverageKey): string {
  return `cov_${sha256(normaliseCoverageKey(key)).slice(0, 32)}`;
}
