import type { Finding } from '../model/finding.ts';
import type { RunCoverage, UpsertSummary } from '../state/finding-store.ts';
import type { ActionOutcome } from '../actions/outcome.ts';
import type { AlertOutcome } from '../actions/notify/dispatcher.ts';
import { syncRunTickets, type TicketOutcome } from './sync-tickets.ts';
import { RemediationBudget } from '../actions/remediate/budget.ts';
import { remediateRoleAssignment } from '../actions/remediate/role-assignment.ts';
import type { Runtime } from './runtime.ts';

export interface RunIdentity {
  runId: string;
  correlationId?: string;
  kind: 'sweep' | 'event-batch';
}

export interface RecordedRun {
  summary: UpsertSummary;
  outcomes: ActionOutcome[];
  alerts: AlertOutcome[];
  tickets: TicketOutcome[];
  /** The circuit breaker stopped remediations in this run. */
  breakerTripped: boolean;
}

/**
 * What every run does with its findings: record them (opening, refreshing and resolving within the run's
 * coverage), then carry out each finding's decided action: remediations (one at a time, within the run's
 * budget), then alerts for what is new, then tickets (opened, updated, closed for what the run resolved). Recording comes first, so a failed action never loses a finding;
 * each remediation's outcome is in the audit log and each alert's in the result.
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
  // People hear about a finding once, when it opens or comes back, and about what the bot did to it.
  const fresh = new Set([...summary.opened, ...summary.reopened]);
  const alertable = findings.filter((finding) => fresh.has(finding.id) && (finding.decision.action === 'alert' || finding.decision.action === 'remediate'));
  const alerts = alertable.length > 0 ? await runtime.alerts.dispatch(alertable.map((finding) => ({ finding })), policy.notify, { kind: run.kind, id: run.runId }) : [];
  const sentAt = runtime.now();
  for (const id of new Set(alerts.filter((alert) => alert.status === 'sent').map((alert) => alert.findingId))) await runtime.state.findings.setLastNotified(id, sentAt);
  const tickets = await syncRunTickets(runtime, findings, summary);
  return { summary, outcomes, alerts, tickets, breakerTripped: budget.tripped };
}
