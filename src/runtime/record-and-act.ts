import type { Finding } from '../model/finding.ts';
import { isAnnounced, type RunCoverage, type UpsertSummary } from '../state/finding-store.ts';
import type { ActionOutcome } from '../actions/outcome.ts';
import type { AlertOutcome } from '../actions/notify/dispatcher.ts';
import { syncRunTickets, type TicketOutcome } from './sync-tickets.ts';
import { RemediationBudget } from '../actions/remediate/budget.ts';
import { remediateRoleAssignment } from '../actions/remediate/role-assignment.ts';
import { remediateGraphAppRole } from '../actions/remediate/graph-app-role.ts';
import { remediateUnattachedIdentity } from '../actions/remediate/unattached-identity.ts';
import { reconcileInterruptedActions, type EarlierAttempts, type ReconciledAction } from '../actions/remediate/reconcile.ts';
import type { AlertItem } from '../actions/notify/alert.ts';
import type { RemediationContext } from '../actions/remediate/context.ts';
import { reportTrippedBreaker } from './circuit-breaker.ts';
import type { Runtime } from './runtime.ts';
import { invocationCertainlyOverMs } from '../hosting/function-time-limit.ts';

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
  /**
   * Which delivery of this work it is (the queue message's dequeue count, the event's claim attempt); above 1, an
   * earlier attempt did not finish, and what it left undone is completed first. 1 when absent.
   */
  attempt?: number;
}

export interface RecordedRun {
  summary: UpsertSummary;
  outcomes: ActionOutcome[];
  alerts: AlertOutcome[];
  tickets: TicketOutcome[];
  /** The circuit breaker stopped remediations in this run. */
  breakerTripped: boolean;
  /** Remediations an earlier attempt of this work left without an outcome, and the outcome they were given. */
  reconciled: ReconciledAction[];
}

/**
 * What every run does with its findings: record them (opening, refreshing and resolving within the run's
 * coverage), then carry out each finding's decided action: remediations (one at a time, each by its rule's
 * remediation, within the run's budget; a tripped breaker is audited and alerted), then alerts for what is new,
 * then tickets (opened, updated, closed for what the run resolved). Recording comes first, so a failed action never
 * loses a finding; each remediation's outcome is in the audit log and each alert's in the result.
 *
 * A redelivered attempt (the earlier one died: the process was killed, the host timed it out) first gives every
 * remediation that attempt left at 'acting' its outcome (reconcile.ts), and alerts what that attempt recorded but
 * never announced: what the run does ends up done once, whichever attempt did it.
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
  const redelivered = (run.attempt ?? 1) > 1;
  const earlier: EarlierAttempts = redelivered ? await reconcileInterruptedActions(context) : { reconciled: [], removed: [] };
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
  const alertable: AlertItem[] = findings.filter((finding) => fresh.has(finding.id) && isAlerted(finding)).map((finding) => ({ finding }));
  const owed = await unannounced(runtime, findings, summary, earlier, redelivered);
  const dispatched = alertable.length + owed.length > 0 ? await runtime.alerts.dispatch([...alertable, ...owed], policy.notify, { kind: run.kind, id: run.runId }) : [];
  // An owed alert the policy skips (severity, exemption) would be skipped again every run: not worth reporting each time.
  const owedIds = new Set(owed.map(({ finding }) => finding.id));
  const alerts = dispatched.filter((alert) => !(alert.status === 'skipped' && owedIds.has(alert.findingId)));
  const sentAt = runtime.now();
  for (const id of new Set(alerts.filter((alert) => alert.status === 'sent').map((alert) => alert.findingId))) await runtime.state.findings.setLastNotified(id, sentAt);
  const tickets = await syncRunTickets(runtime, findings, summary);
  return { summary, outcomes, alerts: [...breakerAlerts, ...alerts], tickets, breakerTripped: budget.tripped, reconciled: earlier.reconciled };
}

const isAlerted = (finding: Finding) => finding.decision.action === 'alert' || finding.decision.action === 'remediate';

/**
 * Alerts owed from before this run: findings it refreshed that were never notified since they opened (their alert
 * failed, or the attempt that opened them died before sending it), and on a redelivery those whose removal the dead
 * attempt carried out and never announced. Outside a redelivery, only findings opened longer ago than an invocation
 * can run: a younger one may be in the hands of a live run about to announce it, and two alerts would go out.
 */
async function unannounced(runtime: Runtime, findings: readonly Finding[], summary: UpsertSummary, earlier: EarlierAttempts, redelivered: boolean): Promise<AlertItem[]> {
  const seen = new Map(findings.map((finding) => [finding.id, finding]));
  const settled = runtime.now().getTime() - invocationCertainlyOverMs();
  const items = summary.unannounced
    .filter(({ openedAt }) => redelivered || openedAt.getTime() < settled)
    .map(({ id }) => seen.get(id)!)
    .filter(isAlerted)
    .map((finding) => ({ finding }));
  const announcedNow = new Set([...summary.opened, ...summary.reopened, ...summary.refreshed]);
  for (const id of new Set(earlier.removed)) {
    if (announcedNow.has(id)) continue;
    const stored = await runtime.state.findings.get(id);
    if (!stored || isAnnounced(stored)) continue;
    if (isAlerted(stored.finding)) items.push({ finding: stored.finding });
  }
  return items;
}
