import type { AlertOutcome } from '../actions/notify/dispatcher.ts';
import type { RemediationContext } from '../actions/remediate/context.ts';
import type { Finding } from '../model/finding.ts';
import type { RunIdentity } from './record-and-act.ts';
import type { Runtime } from './runtime.ts';

/** Refused findings a breaker record and alert name one by one; the rest are counted. */
const LISTED = 20;

/**
 * What a run does when its circuit breaker tripped (more remediations than guardrails.maxRemediationsPerRun): one
 * audit record that says how many remediations were refused and which, and one high-severity alert through the
 * policy's channels, so a person checks the policy or the inventory before the next run acts again. The alert is
 * an alert item of its own (the dispatcher's delivery, retries and rate limits apply); like every alert, a dry-run
 * policy does not send it, and the audit record is written either way.
 */
export async function reportTrippedBreaker(runtime: Runtime, context: RemediationContext, refused: readonly Finding[], run: RunIdentity, tenantId: string): Promise<AlertOutcome[]> {
  const { policy } = runtime.policy;
  const dryRun = policy.enforcement !== 'enforce';
  const limit = context.budget.limit;
  const listed = refused.slice(0, LISTED).map((finding) => finding.id);
  const more = refused.length - listed.length;
  const which = `${listed.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
  const plural = refused.length === 1 ? '' : 's';
  const record = await context.audit.append({
    at: context.now(),
    kind: 'skipped',
    action: 'circuit-breaker',
    dryRun,
    outcome: 'circuit-breaker-tripped',
    reason: `the run reached guardrails.maxRemediationsPerRun (${limit}) and refused ${refused.length} more remediation${plural}: ${which}`,
    policyHash: context.policyHash,
    actor: context.botPrincipalId,
    target: run.runId,
    requestIds: [],
    ...(context.correlationId ? { correlationId: context.correlationId } : {}),
    runId: run.runId,
  });
  const source = run.kind === 'sweep' ? 'sweep' : 'event batch';
  const alert: Finding = {
    id: `circuit-breaker:${run.runId}`,
    ruleId: 'circuit-breaker',
    severity: 'high',
    title: `Circuit breaker tripped: ${refused.length} remediation${plural} refused`,
    description: `The ${source} ${run.runId} reached its limit of ${limit} remediations (guardrails.maxRemediationsPerRun) and refused ${refused.length} more. A bad policy or an incomplete inventory can look like this: check the run's findings and audit record ${record.id} before the next run acts again. Refused: ${which}.`,
    tenantId,
    evidence: { limit, refused: refused.length, refusedFindings: listed, auditId: record.id },
    detectedAt: context.now().toISOString(),
    source: run.kind === 'sweep' ? 'sweep' : 'event',
    decision: { action: 'alert', dryRun },
  };
  return runtime.alerts.dispatch([{ finding: alert }], policy.notify, { kind: run.kind, id: run.runId });
}
