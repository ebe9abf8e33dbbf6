import type { Finding } from '../model/finding.ts';
import type { RunCoverage, UpsertSummary } from '../state/finding-store.ts';
import type { ActionOutcome } from '../actions/outcome.ts';
import type { AlertOutcome } from '../actions/notify/dispatcher.ts';
import { syncRunTickets, type TicketOutcome } from './sync-tickets.ts';
import { RemediationBudget } from '../actions/remediate/budget.ts';
import { remediateRoleAssignment } from '../actions/remediate/role-assignment.ts';
import { remediateGraphAppRole } from '../actions/remediate/graph-app-role.ts';
import { remediateUnattachedIdentity } from '../actions/remediate/unattached-identity.ts';
import type { RemediationContext } from '../actions/remediate/context.ts';
import { reportTrippedBreaker } from './circuit-breaker.ts';
import type { Runtime } from './runtime.ts';

type Remediation = (finding: Finding, context: RemediationContext) => Promise<ActionOutcome>;

/** The rules with a remediation of their own; every other rule's findings go to the role-assignment remediation, which refuses what it cannot do. */
const REMEDIATIONS: Readonly<Record<string, Remediation>> = {
  'privileged-graph-app-role': remediateGraphAppRole,
  'unattached-user-assigned-identity': remediateUnattachedIdentity,
};
const remediationFor = (finding: Finding): Remediation => REMEDIATIONS[finding.ruleId] ?? remediateRoleAssignment;

export interface RunIdentity {
  runId: string;
  correlationId?: string;
  kind: 'sweep' | 'event-batch';
  /** Shared by every call of one run (the events of one delivery); a new one per call when absent. */
  budget?: RemediationBudget;
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
 * coverage), then carry out each finding's decided action: remediations (one at a time, each by its rule's
 * remediation, within the run's budget; a tripped breaker is audited and alerted), then alerts for what is new,
 * then tickets (opened, updated, closed for what the run resolved). Recording comes first, so a failed action never
 * loses a finding; each remediation's outcome is in the audit log and each alert's in the result.
 */
export async function recordAndAct(runtime: Runtime, findings: readonly Finding[], coverage: RunCoverage, run: RunIdentity): Promise<RecordedRun> {
  const summary = await runtime.state.findings.upsertFromRun(findings, { ...coverage, runId: run.runId });
  const { policy } = runtime.policy;
  const bot = await runtime.bot();
  const budget = run.budget ?? new RemediationBudget(policy.guardrails.maxRemediationsPerRun);
  const context: RemediationContext = {
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
  const refused: Finding[] = [];
  // One at a time: remediations re-read live state and must see each other's effects.
  for (const finding of findings) {
    if (finding.decision.action !== 'remediate') continue;
    const refusedBefore = budget.refused;
    outcomes.push(await remediationFor(finding)(finding, context));
    if (budget.refused > refusedBefore) refused.push(finding);
  }
  // Reported by the call that was refused: a run sharing its budget across calls reports where the breaker stopped it.
  const breakerAlerts = refused.length > 0 ? await reportTrippedBreaker(runtime, context, refused, run, bot.tenantId) : [];
  // People hear about a finding once, when it opens or comes back, and about what the bot did to it.
  const fresh = new Set([...summary.opened, ...summary.reopened]);
  const alertable = findings.filter((finding) => fresh.has(finding.id) && (finding.decision.action === 'alert' || finding.decision.action === 'remediate'));
  const alerts = alertable.length > 0 ? await runtime.alerts.dispatch(alertable.map((finding) => ({ finding })), policy.notify, { kind: run.kind, id: run.runId }) : [];
  const sentAt = runtime.now();
  for (const id of new Set(alerts.filter((alert) => alert.status === 'sent').map((alert) => alert.findingId))) await runtime.state.findings.setLastNotified(id, sentAt);
  const tickets = await syncRunTickets(runtime, findings, summary);
  return { summary, outcomes, alerts: [...breakerAlerts, ...alerts], tickets, breakerTripped: budget.tripped };
}
