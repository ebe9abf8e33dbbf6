import type { Finding } from '../model/finding.ts';
import type { RunCoverage, UpsertSummary } from '../state/finding-store.ts';
import type { ActionOutcome } from '../actions/outcome.ts';
import { RemediationBudget } from '../actions/remediate/budget.ts';
import { remediateRoleAssignment } from '../actions/remediate/role-assignment.ts';
import type { Runtime } from './runtime.ts';

export interface RunIdentity {
  runId: string;
  correlationId?: string;
}

export interface RecordedRun {
  summary: UpsertSummary;
  outcomes: ActionOutcome[];
  /** The circuit breaker stopped remediations in this run. */
  breakerTripped: boolean;
}

/**
 * What every run does with its findings: record them (opening, refreshing and resolving within the run's
 * coverage), then carry out each finding's decided action. Recording comes first, so a failed action never
 * loses a finding; each action's outcome is in the audit log.
 */
export async function recordAndAct(runtime: Runtime, findings: readonly Finding[], coverage: RunCoverage, run: RunIdentity): Promise<RecordedRun> {
  const summary = await runtime.state.findings.upsertFromRun(findings, { ...coverage, runId: run.runId });
  const { policy } = runtime.policy;
  const bot = await runtime.bot();
  const budget = new RemediationBudget(policy.guardrails.maxRemediationsPerRun);
  const context = {
    clients: runtime.clients,
    audit: runtime.state.audit,
    policyHash: runtime.policy.hash,
    botPrincipalId: bot.principalId,
    protectedPrincipals: new Set(policy.guardrails.protectedPrincipals.map((id) => id.toLowerCase())),
    budget,
    runId: run.runId,
    ...(run.correlationId ? { correlationId: run.correlationId } : {}),
    now: runtime.now,
  };
  const outcomes: ActionOutcome[] = [];
  // One at a time: remediations re-read live state and must see each other's effects.
  for (const finding of findings) {
    if (finding.decision.action === 'remediate') outcomes.push(await remediateRoleAssignment(finding, context));
  }
  return { summary, outcomes, breakerTripped: budget.tripped };
}
