import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEmulator } from '../support/emulator.ts';
import { useAzurite } from '../support/azurite.ts';
import { smallTenant } from '../support/seeds.ts';
import { botGrants, withBotGrants } from '../support/bot-grants.ts';
import { BOT_PRINCIPAL, MG_PROD, SUB_PROD, UAMI_PRINCIPAL } from '../support/ids.ts';
import { parsePolicy } from '../../src/policy/load.ts';
import { runSweep } from '../../src/pipeline/sweep.ts';
import { createRuntime, type Runtime } from '../../src/runtime/runtime.ts';
import { recordAndAct, type RecordedRun } from '../../src/runtime/record-and-act.ts';
import { coverage } from '../../src/state/coverage.ts';

/** Principals that exist nowhere: their assignments, made long ago, are orphans past any grace period. */
const GONE = ['dead0000-0000-4000-8000-0000000000b1', 'dead0000-0000-4000-8000-0000000000b2', 'dead0000-0000-4000-8000-0000000000b3'];
/** Unattached since October and holding nothing. */
const IDLE_IDENTITY = `/subscriptions/${SUB_PROD}/resourceGroups/rg-app/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-idle`;

const base = smallTenant();
const emulator = await useEmulator({
  seed: withBotGrants(
    {
      ...base,
      roleAssignments: [
        ...(base.roleAssignments ?? []),
        ...GONE.map((principalId) => ({ scope: `/subscriptions/${SUB_PROD}/resourceGroups/rg-app`, role: 'Reader', principalId, createdOn: '2026-01-05T00:00:00Z' })),
      ],
      appRoleAssignments: [...(base.appRoleAssignments ?? []), { principalId: UAMI_PRINCIPAL, permission: 'RoleManagement.ReadWrite.Directory' }],
      userAssignedIdentities: [...(base.userAssignedIdentities ?? []), { id: IDLE_IDENTITY, principalId: '1d000000-0000-4000-8000-0000000000b1', createdAt: '2026-10-01T00:00:00Z' }],
    },
    botGrants({
      principalId: BOT_PRINCIPAL,
      targetScopes: [`/providers/Microsoft.Management/managementGroups/${MG_PROD}`],
      flags: { enableRemediation: true, enableGraphAppRoleRemediation: true, enableIdentityDeletion: true },
    }),
  ),
});
const azurite = await useAzurite();
const teams = emulator.core.sinks.teams.createWorkflow(emulator.baseUrl, 'secops');
const started = await createRuntime({
  ...emulator.env,
  IDWARDEN_STORAGE_CONNECTION_STRING: azurite.connectionString,
  IDWARDEN_TABLE_PREFIX: `breaker${process.pid}`,
  TEAMS_WEBHOOK_URL: teams.url,
});
const asOf = new Date('2026-11-20T12:00:00Z');

/** Seven remediations: four orphans, the UAMI's broad Contributor, its Graph permission and the idle identity. */
const policy = (enforcement: 'enforce' | 'dry-run', limit: number) => `version: 1
enforcement: ${enforcement}
rules:
  orphaned-role-assignment: { action: remediate }
  privileged-role-broad-scope: { action: remediate, remediation: remove }
  privileged-graph-app-role: { action: remediate }
  unattached-user-assigned-identity: { action: remediate }
guardrails: { maxRemediationsPerRun: ${limit} }
notify: { teams: { webhookUrlSetting: TEAMS_WEBHOOK_URL } }
`;

async function sweepAndAct(policyText: string, runId: string): Promise<RecordedRun> {
  const runtime: Runtime = { ...started, policy: parsePolicy(policyText, 'test') };
  const { findings } = await runSweep(runtime.clients, runtime.policy, { asOf });
  return recordAndAct(runtime, findings, { source: 'sweep', scope: [coverage.subscription(SUB_PROD)], at: asOf }, { runId, kind: 'sweep' });
}
const breakerRecords = async (runId: string) => (await started.state.audit.list({ runId })).filter((record) => record.outcome === 'circuit-breaker-tripped');

test('a dry-run that would trip the breaker records it, and sends no alert', async () => {
  const run = await sweepAndAct(policy('dry-run', 1), 'breaker-dry-run');
  assert.equal(run.breakerTripped, true);
  assert.deepEqual(run.outcomes.map((outcome) => outcome.status).sort(), ['dry-run', 'skipped', 'skipped', 'skipped', 'skipped', 'skipped', 'skipped']);
  const [record] = await breakerRecords('breaker-dry-run');
  assert.equal(record?.dryRun, true);
  assert.match(record!.reason, /^the run reached guardrails\.maxRemediationsPerRun \(1\) and refused 6 more remediations: /);
  const breakerAlert = run.alerts.find((alert) => alert.findingId === 'circuit-breaker:breaker-dry-run');
  assert.deepEqual([breakerAlert?.status, breakerAlert?.reason], ['skipped', 'dry-run: the policy sends no alerts']);
  assert.equal(emulator.core.sinks.teams.posts().length, 0);
});

test('when the breaker trips, the run audits how many remediations it refused and alerts Teams once, at high severity', async () => {
  const run = await sweepAndAct(policy('enforce', 2), 'breaker-enforce');
  assert.equal(run.breakerTripped, true);
  const done = run.outcomes.filter((outcome) => outcome.status === 'done');
  const refused = run.outcomes.filter((outcome) => outcome.reason === 'the run reached its limit of 2 remediations');
  assert.deepEqual([done.length, refused.length, run.outcomes.length], [2, 5, 7]);

  const records = await breakerRecords('breaker-enforce');
  assert.equal(records.length, 1, 'one summary record per run');
  const [record] = records;
  assert.deepEqual([record!.kind, record!.action, record!.dryRun, record!.target], ['skipped', 'circuit-breaker', false, 'breaker-enforce']);
  assert.match(record!.reason, /refused 5 more remediations: /);
  for (const outcome of refused) assert.ok(record!.reason.includes(outcome.findingId), `the record names ${outcome.findingId}`);

  const breakerAlert = run.alerts.find((alert) => alert.findingId === 'circuit-breaker:breaker-enforce');
  assert.deepEqual([breakerAlert?.channel, breakerAlert?.status], ['teams', 'sent']);
  const cards = emulator.core.sinks.teams.posts().flatMap((post) => post.cards) as { body: { items?: { text: string }[]; text?: string }[] }[];
  const breakerCards = cards.filter((card) => card.body[0]?.items?.[1]?.text === 'Circuit breaker tripped: 5 remediations refused');
  assert.equal(breakerCards.length, 1);
  assert.match(breakerCards[0]!.body[0]!.items![0]!.text, /^idwarden · High · circuit-breaker/);
  assert.match(breakerCards[0]!.body[1]!.text!, new RegExp(`audit record ${record!.id}`));
  assert.equal(await started.state.findings.get('circuit-breaker:breaker-enforce'), undefined, 'the breaker is not a finding');
});

test('within its budget a run routes each finding to its rule\'s remediation, and the breaker stays quiet', async () => {
  // Whatever the breaker's run got to, this run has a Graph permission to remove.
  const graph = emulator.core.tenant.microsoftGraph;
  emulator.core.tenant.grantAppRole(UAMI_PRINCIPAL, graph.appRoles.find((role) => role.value === 'Application.ReadWrite.All')!.id, graph.id, emulator.core.clock.now());
  const run = await sweepAndAct(policy('enforce', 20), 'routed');
  assert.equal(run.breakerTripped, false);
  const actionsByRule = new Map(run.outcomes.map((outcome) => [outcome.findingId.split(':')[0], outcome.action]));
  assert.equal(actionsByRule.get('orphaned-role-assignment'), 'delete-role-assignment');
  assert.equal(actionsByRule.get('privileged-graph-app-role'), 'delete-graph-app-role-assignment');
  assert.equal(actionsByRule.get('unattached-user-assigned-identity'), 'delete-user-assigned-identity');
  assert.equal(actionsByRule.get('privileged-role-broad-scope'), 'delete-role-assignment', 'role assignments are handled as before');
  assert.ok(run.outcomes.every((outcome) => outcome.status === 'done'), JSON.stringify(run.outcomes, null, 1));
  assert.equal(emulator.core.tenant.appRoleAssignmentsOf(UAMI_PRINCIPAL).length, 0, 'the Graph permissions are gone');
  assert.equal(emulator.core.tenant.userAssignedIdentity(IDLE_IDENTITY), undefined, 'the idle identity is gone');
  assert.deepEqual(await breakerRecords('routed'), []);
  assert.ok(!run.alerts.some((alert) => alert.findingId.startsWith('circuit-breaker:')));
});
