import { isNotFound } from '../../azure/errors.ts';
import { ManagedIdentities } from '../../azure/managed-identities.ts';
import type { Finding } from '../../model/finding.ts';
import type { UserAssignedIdentityRecord } from '../../model/snapshot.ts';
import type { ActionOutcome } from '../outcome.ts';
import type { RemediationContext } from './context.ts';
import { identityUsage } from './identity-usage.ts';
import { describe, RemediationTrail } from './trail.ts';

export const DELETE_USER_ASSIGNED_IDENTITY = 'delete-user-assigned-identity';

/** Why a deleted identity cannot be put back; said in the audit record and by `idwarden restore`. */
export const IDENTITY_DELETION_IS_FINAL =
  'a deleted user-assigned identity cannot be restored: one created again with the same name gets a new principal id and client id, so no role assignment, app role, federated credential or client configuration made for the old one applies to it';

/**
 * Deletes a user-assigned identity that no resource uses, for an `unattached-user-assigned-identity` finding. Opt-in:
 * the rule's default action is ticket, and only a policy that sets `rules.unattached-user-assigned-identity.action:
 * remediate` sends findings here; the rule fires only once the identity has been unattached past its `graceHours`.
 *
 * Deleting an identity is final (see IDENTITY_DELETION_IS_FINAL), so beyond the usual guardrails (never the bot or a
 * protected principal, within the run's budget, re-read right before acting: gone → already-gone, another principal
 * behind the same id → changed) it acts only when the identity provably holds nothing: no resource uses it, and it
 * has no role assignment, Graph app role, directory role or federated credential (identity-usage.ts). A lookup that
 * fails skips the deletion. The audit record keeps the identity as it was and says it cannot be restored.
 *
 * Permission: Microsoft.ManagedIdentity/userAssignedIdentities/delete (Managed Identity Contributor, with
 * enableIdentityDeletion); the reads need what a sweep has (Reader, Directory.Read.All).
 */
export async function remediateUnattachedIdentity(finding: Finding, ctx: RemediationContext): Promise<ActionOutcome> {
  const identityId = finding.identityResourceId;
  const trail = new RemediationTrail(finding, ctx, DELETE_USER_ASSIGNED_IDENTITY, identityId ?? finding.id);
  if (finding.ruleId !== 'unattached-user-assigned-identity' || !identityId || !finding.principalId) {
    return trail.record('skipped', 'not-remediable', `rule ${finding.ruleId} has no user-assigned identity remediation`, 'skipped');
  }
  const refused = await trail.refusal();
  if (refused) return refused;

  const identities = new ManagedIdentities(ctx.clients);
  const gone = () => trail.record('skipped', 'already-gone', 'the identity no longer exists', trail.dryRun ? 'dry-run' : 'done');
  let live: UserAssignedIdentityRecord;
  try {
    live = await identities.getUserAssigned(identityId, trail.collect);
  } catch (error) {
    if (isNotFound(error)) return gone();
    return trail.record('skipped', 'lookup-failed', `re-reading the identity failed: ${describe(error)}`, 'skipped');
  }
  if (live.principalId !== finding.principalId.toLowerCase()) {
    return trail.record('skipped', 'changed', `the identity changed since it was judged: its principal is now ${live.principalId} (created again under the same name)`, 'skipped', live);
  }
  const usage = await identityUsage(ctx.clients, live, trail.collect);
  if (usage.state === 'unknown') return trail.record('skipped', 'not-proven-unused', usage.why, 'skipped', live);
  if (usage.state === 'in-use') return trail.record('skipped', 'in-use', `the identity still holds something: ${usage.holds.join('; ')}`, 'skipped', live);

  const plan = `delete the user-assigned identity ${live.id} (principal ${live.principalId}), which holds nothing`;
  if (trail.dryRun) return trail.record('decision', 'would-delete', `dry-run: would ${plan}; ${IDENTITY_DELETION_IS_FINAL}`, 'dry-run', live);

  // The identity as it was is on record before it is deleted.
  await trail.record('decision', 'acting', `${plan}; ${IDENTITY_DELETION_IS_FINAL}`, 'done', live);
  let result: 'deleted' | 'absent';
  try {
    result = await identities.deleteUserAssigned(live.id, trail.collect);
  } catch (error) {
    return trail.record('action-failed', 'failed', `${plan} failed: ${describe(error)}`, 'failed', live);
  }
  if (result === 'absent') return gone();
  return trail.record('action', 'deleted', `${plan}; ${IDENTITY_DELETION_IS_FINAL}`, 'done', live);
}
