import assert from 'node:assert/strict';
import type { ArmOperation } from '../../emulator/arm/operations.ts';
import type { AlertOutcome } from '../../src/actions/notify/dispatcher.ts';
import type { AuditRecord } from '../../src/state/audit-log.ts';
import type { FaultHarness } from './harness.ts';

/**
 * The safety invariants of issue 8 §2, checked after every fault scenario from what the world shows: the emulator
 * (the ARM operations the bot really made, the ticket and alert sinks) and Azurite (the audit log, the findings,
 * the sweep records). Each check reads the evidence independently of the bot's own summary of what it did.
 */
export interface Observations {
  /** Every ARM write and delete the bot made, as the emulator carried it out. */
  botOperations: ArmOperation[];
  /** Every alert outcome the real dispatcher returned, with the run it was for. */
  alerts: { runId: string; outcome: AlertOutcome }[];
}

/** Starts watching what the invariants need that no store keeps: the bot's ARM operations and its alert outcomes. */
export function observe(harness: FaultHarness): Observations {
  const observed: Observations = { botOperations: [], alerts: [] };
  const bot = harness.emulator.core.tenant.bot.principalId.toLowerCase();
  harness.emulator.core.armOperations.subscribe((operation) => {
    if (operation.caller.principalId.toLowerCase() === bot) observed.botOperations.push(operation);
  });
  const { alerts } = harness.runtime;
  const dispatch = alerts.dispatch.bind(alerts);
  alerts.dispatch = async (items, notify, run) => {
    const outcomes = await dispatch(items, notify, run);
    // Runs without an id count as one run: stricter, never looser.
    observed.alerts.push(...outcomes.map((outcome) => ({ runId: `${run.kind}:${run.id ?? '-'}`, outcome })));
    return outcomes;
  };
  return observed;
}

const lower = (value: string | undefined) => value?.toLowerCase();
const guidOf = (roleDefinitionId: string | undefined) => lower(roleDefinitionId?.split('/').at(-1));
const REMOVALS = new Set(['deleted', 'downscoped']);

interface PriorAssignment {
  principalId?: string;
  roleDefinitionId?: string;
}

export async function assertInvariants(harness: FaultHarness, observed: Observations): Promise<void> {
  const audit = await harness.runtime.state.audit.list();
  await assertActionsMatchTheirFindings(harness, observed, audit);
  assertProtectedPrincipalsUntouched(harness, observed, audit);
  assertNoDuplicateTicketsOrAlerts(harness, observed);
  await assertNoFindingLost(harness);
}

/** (a) Every removal acted on an object that matched its finding, and is on record, decision first. */
async function assertActionsMatchTheirFindings(harness: FaultHarness, observed: Observations, audit: AuditRecord[]): Promise<void> {
  const before = new Map(harness.faultFreeSnapshot.roleAssignments.map((assignment) => [assignment.id.toLowerCase(), assignment]));
  const removals = audit.filter((record) => record.kind === 'action' && REMOVALS.has(record.outcome));
  for (const action of removals) {
    const target = action.target.toLowerCase();
    const acting = audit.findIndex((record) => record.kind === 'decision' && record.outcome === 'acting' && record.target.toLowerCase() === target && record.findingId === action.findingId);
    assert.ok(acting >= 0 && acting < audit.indexOf(action), `the removal of ${action.target} is preceded by its 'acting' decision`);
    const stored = await harness.runtime.state.findings.get(action.findingId!);
    assert.ok(stored, `the finding ${action.findingId} behind the removal of ${action.target} is recorded`);
    const prior = action.priorState as PriorAssignment | undefined;
    assert.equal(lower(prior?.principalId), lower(stored.finding.principalId), `the removed ${action.target} belonged to the finding's principal`);
    assert.equal(guidOf(prior?.roleDefinitionId), guidOf(stored.finding.roleDefinitionId), `the removed ${action.target} held the finding's role`);
    const truth = before.get(target);
    if (truth) {
      assert.equal(lower(truth.principalId), lower(prior?.principalId), `the audit's prior state of ${action.target} is what Azure held`);
      assert.equal(guidOf(truth.roleDefinitionId), guidOf(prior?.roleDefinitionId));
    }
    assert.ok(
      observed.botOperations.some((operation) => operation.kind === 'delete' && operation.resourceId.toLowerCase() === target),
      `the recorded removal of ${action.target} really happened`,
    );
  }
  // The reverse: nothing the bot deleted in Azure is missing from the audit log.
  for (const operation of observed.botOperations.filter((each) => each.kind === 'delete')) {
    const target = operation.resourceId.toLowerCase();
    const recorded = audit.filter((record) => record.target.toLowerCase() === target);
    assert.ok(
      recorded.some((record) => record.kind === 'decision' && record.outcome === 'acting'),
      `the bot's delete of ${operation.resourceId} was on record before it was made`,
    );
    assert.ok(
      recorded.some((record) => (record.kind === 'action' && REMOVALS.has(record.outcome)) || record.kind === 'action-failed'),
      `the bot's delete of ${operation.resourceId} has its action record`,
    );
  }
}

/** (b) Never the bot itself, never a protected principal. */
function assertProtectedPrincipalsUntouched(harness: FaultHarness, observed: Observations, audit: AuditRecord[]): void {
  const untouchable = new Set([harness.emulator.core.tenant.bot.principalId, ...harness.runtime.policy.policy.guardrails.protectedPrincipals].map((id) => id.toLowerCase()));
  for (const record of audit.filter((each) => each.kind === 'action' || each.kind === 'action-failed' || (each.kind === 'decision' && each.outcome === 'acting'))) {
    const principal = lower((record.priorState as PriorAssignment | undefined)?.principalId);
    assert.ok(principal === undefined || !untouchable.has(principal), `${record.kind} ${record.outcome} on ${record.target} targets a protected principal`);
  }
  const before = new Map(harness.faultFreeSnapshot.roleAssignments.map((assignment) => [assignment.id.toLowerCase(), assignment]));
  for (const operation of observed.botOperations) {
    const principal = lower(before.get(operation.resourceId.toLowerCase())?.principalId ?? harness.emulator.core.tenant.roleAssignment(operation.resourceId)?.principalId);
    assert.ok(principal === undefined || !untouchable.has(principal), `the bot's ${operation.operationName} on ${operation.resourceId} touched a protected principal`);
  }
}

/** (c) One GitHub issue per fingerprint, ever; one alert per finding per channel per run, as the sinks received them. */
function assertNoDuplicateTicketsOrAlerts(harness: FaultHarness, observed: Observations): void {
  const created = harness.emulator.core.sinks.github.requests
    .filter((request) => request.route === 'github.issues.create')
    .map((request) => /idwarden:fingerprint=([^ ]+)/.exec(String((request.body as { body?: string }).body))?.[1]);
  assert.ok(created.every((fingerprint) => fingerprint !== undefined), 'every issue carries its fingerprint marker');
  assert.equal(new Set(created).size, created.length, `one GitHub issue per fingerprint: ${created.join(', ')}`);

  const sent = observed.alerts.filter(({ outcome }) => outcome.status === 'sent');
  const keys = sent.map(({ runId, outcome }) => `${runId} ${outcome.channel} ${outcome.findingId}`);
  assert.equal(new Set(keys).size, keys.length, 'one alert per finding per channel per run');
  // What reached the channels: each message announces its findings; together exactly the distinct alerts sent.
  const announced = (text: string) => Number(/(\d+) findings? need attention/.exec(text)?.[1] ?? 1);
  const teams = harness.emulator.core.sinks.teams.posts().reduce((sum, post) => sum + announced(JSON.stringify(post.body)), 0);
  const mail = harness.emulator.core.mail.list().reduce((sum, message) => sum + announced(message.message.subject ?? ''), 0);
  assert.equal(teams, sent.filter(({ outcome }) => outcome.channel === 'teams').length, 'Teams received each alert once');
  assert.equal(mail, sent.filter(({ outcome }) => outcome.channel === 'email').length, 'email carried each alert once');
}

/**
 * (d) Every finding of the fault-free sweep was recorded by the faulty runs, or the sweep of its subscription said it
 * was incomplete (a finding with no subscription is excused by any incomplete sweep).
 */
async function assertNoFindingLost(harness: FaultHarness): Promise<void> {
  const sweeps = await harness.runtime.state.runs.listLastSweeps();
  const incomplete = new Set(sweeps.filter((record) => record.outcome !== 'succeeded' || Number(record.summary['gaps'] ?? 0) > 0).map((record) => record.scope.toLowerCase()));
  for (const finding of harness.faultFree) {
    const excused = finding.subscriptionId ? incomplete.has(finding.subscriptionId.toLowerCase()) : incomplete.size > 0;
    if (excused) continue;
    assert.ok(await harness.runtime.state.findings.get(finding.id), `the finding ${finding.id} was lost and no sweep of its scope reported a gap`);
  }
}

/**
 * Audit log complete: every 'acting' record has its outcome (a remediation's own, or one a later attempt gave it when
 * the process died in between), as src/actions/remediate/reconcile.ts tells them apart.
 */
export async function assertEveryActionHasOutcome(harness: FaultHarness): Promise<void> {
  const { openActions } = await import('../../src/actions/remediate/reconcile.ts');
  const open = openActions(await harness.runtime.state.audit.list());
  assert.deepEqual(open.map((record) => `${record.id} ${record.action} ${record.target}`), [], 'every action the bot started has its outcome on record');
}

/**
 * Nothing announced twice and nothing owed left unannounced: every finding of the fault-free sweep that the policy
 * alerts (an enforced alert or remediation, not exempted), and each of `alsoOwed`, was sent exactly once on each
 * configured channel, over all the runs and attempts the scenario made.
 */
export function assertAlertedOnce(harness: FaultHarness, observed: Observations, alsoOwed: readonly string[] = []): void {
  const { notify } = harness.runtime.policy.policy;
  const channels = [...(notify.teams ? ['teams'] : []), ...(notify.email ? ['email'] : [])];
  const owed = harness.faultFree.filter((finding) => ['alert', 'remediate'].includes(finding.decision.action) && !finding.decision.dryRun && !finding.decision.exemption);
  const sent = observed.alerts.filter(({ outcome }) => outcome.status === 'sent').map(({ outcome }) => `${outcome.findingId} ${outcome.channel}`);
  for (const id of [...owed.map((finding) => finding.id), ...alsoOwed]) {
    for (const channel of channels) assert.equal(sent.filter((key) => key === `${id} ${channel}`).length, 1, `${id} was alerted once on ${channel}`);
  }
}
