import { Directory } from '../../azure/directory.ts';
import { AzureApiError, isNotFound } from '../../azure/errors.ts';
import { RoleAssignments } from '../../azure/role-assignments.ts';
import type { Finding } from '../../model/finding.ts';
import type { RoleAssignmentRecord } from '../../model/snapshot.ts';
import type { ActionOutcome } from '../outcome.ts';
import type { RemediationContext } from './context.ts';
import { describe, RemediationTrail } from './trail.ts';
import { roleDefinitionKey } from '../../model/role-definition-key.ts';

type Mode = 'remove' | 'downscope';

const same = (a: string | null | undefined, b: string | null | undefined) => (a ?? '').toLowerCase() === (b ?? '').toLowerCase();

/** What the finding asks for: orphans are removed; a broad privileged assignment is removed or moved down, per policy. */
function modeOf(finding: Finding): Mode | undefined {
  if (finding.ruleId === 'orphaned-role-assignment') return 'remove';
  if (finding.ruleId === 'privileged-role-broad-scope') return finding.evidence['remediation'] === 'remove' ? 'remove' : 'downscope';
  return undefined;
}

/** Why the live assignment no longer matches the finding, if it does not: then nothing is done. */
function drift(finding: Finding, live: RoleAssignmentRecord): string | undefined {
  if (!same(live.principalId, finding.principalId)) return `its principal is now ${live.principalId}`;
  if (finding.roleDefinitionId && roleDefinitionKey(live.roleDefinitionId) !== roleDefinitionKey(finding.roleDefinitionId)) return `its role is now ${live.roleDefinitionId}`;
  if (finding.scope && !same(live.scope.replace(/\/+$/, ''), finding.scope.replace(/\/+$/, ''))) return `its scope is now ${live.scope}`;
  if ('assignmentCondition' in finding.evidence && (finding.evidence['assignmentCondition'] ?? null) !== (live.condition ?? null)) return 'its ABAC condition changed';
  return undefined;
}

/** The same role at a narrower scope: role definition ids are written against the new scope's subscription. */
function roleDefinitionAt(scope: string, roleDefinitionId: string): string {
  const subscription = /^\/subscriptions\/([^/]+)/i.exec(scope)?.[1];
  const guid = roleDefinitionId.split('/').pop()!;
  return subscription ? `/subscriptions/${subscription}/providers/Microsoft.Authorization/roleDefinitions/${guid}` : `/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
}

/**
 * Removes or down-scopes one role assignment, with the guardrails in front: never a protected principal or the
 * bot itself; within the run's budget; only when the live assignment still matches the finding (re-read right
 * before acting); for orphans, only when the principal is absent from both the directory and its deleted items
 * and every lookup succeeded; a down-scope creates the narrower assignment before it deletes the broad one, so the
 * identity is never left with neither. Dry-run goes through every check and says what it would do.
 * Every step is in the audit log, the full prior state written before anything is changed.
 */
export async function remediateRoleAssignment(finding: Finding, ctx: RemediationContext): Promise<ActionOutcome> {
  const mode = modeOf(finding);
  const trail = new RemediationTrail(finding, ctx, mode === 'downscope' ? 'downscope-role-assignment' : 'delete-role-assignment', finding.roleAssignmentId ?? finding.id);
  const record = trail.record.bind(trail);
  const dryRun = trail.dryRun;

  if (!mode || !finding.roleAssignmentId) return record('skipped', 'not-remediable', `rule ${finding.ruleId} has no role-assignment remediation`, 'skipped');
  const refused = await trail.refusal();
  if (refused) return refused;

  const assignments = new RoleAssignments(ctx.clients);
  let live: RoleAssignmentRecord;
  try {
    live = await assignments.get(finding.roleAssignmentId, trail.collect);
  } catch (error) {
    if (isNotFound(error)) return record('skipped', 'already-gone', 'the assignment no longer exists', dryRun ? 'dry-run' : 'done');
    return record('skipped', 'lookup-failed', `re-reading the assignment failed: ${describe(error)}`, 'skipped');
  }
  const changed = drift(finding, live);
  if (changed) return record('skipped', 'changed', `the assignment changed since it was judged: ${changed}`, 'skipped', live);

  if (finding.ruleId === 'orphaned-role-assignment') {
    const stillOrphaned = await confirmOrphaned(ctx, live.principalId);
    if (stillOrphaned !== true) return record('skipped', 'principal-not-confirmed-absent', stillOrphaned, 'skipped', live);
  }
  const proposal = finding.evidence['downscope'] as { proposedScopes?: string[]; blockedBecause?: string } | undefined;
  const narrower = mode === 'downscope' ? proposal?.proposedScopes?.[0] : undefined;
  if (mode === 'downscope' && !narrower) {
    return record('skipped', 'no-narrower-scope', proposal?.blockedBecause ?? 'no narrower scope was proposed', 'skipped', live);
  }
  const plan = narrower ? `assign ${live.roleDefinitionId} at ${narrower}, then delete ${live.id}` : `delete ${live.id}`;
  if (dryRun) return record('decision', mode === 'downscope' ? 'would-downscope' : 'would-delete', `dry-run: would ${plan}`, 'dry-run', live);

  // The prior state is on record before anything changes: no action without its audit record.
  await record('decision', 'acting', plan, 'done', live);
  try {
    if (narrower) {
      try {
        await assignments.create(
          narrower,
          {
            roleDefinitionId: roleDefinitionAt(narrower, live.roleDefinitionId),
            principalId: live.principalId,
            principalType: live.principalType as 'ServicePrincipal',
            ...(live.condition ? { condition: live.condition } : {}),
            description: `idwarden: down-scoped from ${live.scope}`,
          },
          trail.collect,
        );
      } catch (error) {
        if (!(error instanceof AzureApiError && error.code === 'RoleAssignmentExists')) throw error;
      }
    }
    await assignments.deleteById(live.id, trail.collect);
  } catch (error) {
    return record('action-failed', 'failed', `${plan} failed: ${describe(error)}`, 'failed', live);
  }
  return record('action', narrower ? 'downscoped' : 'deleted', plan, 'done', live);
}

/**
 * True only when the principal is in neither the directory nor its deleted items and both lookups succeeded. The
 * directory is asked through GET /directoryObjects/{id}, not the getByIds that judged the finding, so one endpoint
 * answering wrongly (an empty list for ids that exist) cannot by itself cause a removal.
 */
async function confirmOrphaned(ctx: RemediationContext, principalId: string): Promise<true | string> {
  const directory = new Directory(ctx.clients);
  try {
    if (await directory.exists(principalId)) return 'the principal exists in the directory';
    if (await directory.isSoftDeleted(principalId)) return 'the principal is soft-deleted and can still be restored';
    return true;
  } catch (error) {
    return `a directory lookup failed, so absence is not proven: ${describe(error)}`;
  }
}
