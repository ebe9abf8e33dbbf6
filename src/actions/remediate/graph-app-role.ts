import { AppRoleAssignments, type AppRoleAssignmentRecord } from '../../azure/app-role-assignments.ts';
import { isNotFound } from '../../azure/errors.ts';
import type { Finding } from '../../model/finding.ts';
import type { ActionOutcome } from '../outcome.ts';
import type { RemediationContext } from './context.ts';
import { describe, RemediationTrail } from './trail.ts';

export const DELETE_GRAPH_APP_ROLE = 'delete-graph-app-role-assignment';

/** The Graph path of an app-role assignment: what the audit record names as the target. */
export const appRoleAssignmentPath = (principalId: string, assignmentId: string) => `/servicePrincipals/${principalId}/appRoleAssignments/${assignmentId}`;

const same = (a: unknown, b: unknown) => typeof a === 'string' && typeof b === 'string' && a.toLowerCase() === b.toLowerCase();

/** Why the live grant no longer matches the finding, if it does not: then nothing is done. */
function drift(finding: Finding, live: AppRoleAssignmentRecord): string | undefined {
  if (!same(live.principalId, finding.principalId)) return `its principal is now ${live.principalId}`;
  if (!same(live.appRoleId, finding.evidence['appRoleId'])) return `its app role is now ${live.appRoleId}`;
  if (!same(live.resourceId, finding.evidence['resourceId'])) return `its resource is now ${live.resourceId}`;
  return undefined;
}

/**
 * Removes a high-privilege Microsoft Graph application permission (an app-role assignment) from a workload identity,
 * for a `privileged-graph-app-role` finding. Opt-in: the rule's default action is ticket, and only a policy that sets
 * `rules.privileged-graph-app-role.action: remediate` sends findings here.
 *
 * Permission: deleting an app-role assignment needs AppRoleAssignment.ReadWrite.All, which is itself a critical
 * permission (it can grant any app role to any principal, the bot included, so it is a path to tenant-wide control).
 * A deployment grants it only when it opts in (enableGraphAppRoleRemediation), and the rule reports the bot for it.
 *
 * Guardrails, as for role assignments: never the bot or a protected principal, within the run's budget, and only when
 * the live grant, re-read right before acting, is still the one judged (same id, principal, app role and resource).
 * Dry-run goes through every check and says what it would do. The prior state (the whole grant as Graph returned it)
 * is on record before the delete, so `idwarden restore` can grant it again.
 */
export async function remediateGraphAppRole(finding: Finding, ctx: RemediationContext): Promise<ActionOutcome> {
  const { principalId, appRoleAssignmentId } = finding;
  const trail = new RemediationTrail(finding, ctx, DELETE_GRAPH_APP_ROLE, principalId && appRoleAssignmentId ? appRoleAssignmentPath(principalId, appRoleAssignmentId) : finding.id);
  if (finding.ruleId !== 'privileged-graph-app-role' || !principalId || !appRoleAssignmentId) {
    return trail.record('skipped', 'not-remediable', `rule ${finding.ruleId} has no Microsoft Graph app-role remediation`, 'skipped');
  }
  const refused = await trail.refusal();
  if (refused) return refused;

  const grants = new AppRoleAssignments(ctx.clients);
  const gone = () => trail.record('skipped', 'already-gone', 'the app-role assignment no longer exists', trail.dryRun ? 'dry-run' : 'done');
  let live: AppRoleAssignmentRecord | undefined;
  try {
    live = (await grants.listOf(principalId, trail.collect)).find((grant) => grant.id === appRoleAssignmentId);
  } catch (error) {
    // The principal itself is gone, and its grants went with it.
    if (isNotFound(error)) return gone();
    return trail.record('skipped', 'lookup-failed', `re-reading the app-role assignments failed: ${describe(error)}`, 'skipped');
  }
  if (!live) return gone();
  const changed = drift(finding, live);
  if (changed) return trail.record('skipped', 'changed', `the app-role assignment changed since it was judged: ${changed}`, 'skipped', live);

  const plan = `remove ${finding.graphPermission ?? live.appRoleId} (app-role assignment ${live.id}) from ${principalId}`;
  if (trail.dryRun) return trail.record('decision', 'would-delete', `dry-run: would ${plan}`, 'dry-run', live);

  // The prior state is on record before anything changes: no action without its audit record.
  await trail.record('decision', 'acting', plan, 'done', live);
  try {
    await grants.remove(principalId, live.id, trail.collect);
  } catch (error) {
    if (isNotFound(error)) return gone();
    return trail.record('action-failed', 'failed', `${plan} failed: ${describe(error)}`, 'failed', live);
  }
  return trail.record('action', 'deleted', plan, 'done', live);
}
