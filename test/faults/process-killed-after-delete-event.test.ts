import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asHumanOwner, fireSweepTimer, OWNER_ROLE, removals, startFaultHarness, SUB_CONTOSO_PROD, UAMI_WEB_PROD } from './harness.ts';
import { assertAlertedOnce, assertEveryActionHasOutcome, assertInvariants, observe } from './invariants.ts';
import { invocationCertainlyOverMs } from '../../src/hosting/function-time-limit.ts';
import { BotWorkers, killAfterOperation } from '../support/bot-worker.ts';

const harness = await startFaultHarness('killafterdelev');
const observed = observe(harness);
const workers = new BotWorkers((runId, outcomes) => observed.alerts.push(...outcomes.map((outcome) => ({ runId, outcome }))));
/**
 * A minute past the event ledger's claim lease (the Functions time limit and its margin, 12 min with host.json's
 * 10 min): Event Grid's retries reach it within their schedule (10 s, 30 s, 1 min, 5 min, 10 min, 30 min, ...).
 */
const AFTER_THE_CLAIM_LEASE_MS = invocationCertainlyOverMs() + 60_000;

test('the bot process killed after ARM carried out the DELETE of an event-driven down-scope, before the bot recorded it: the redelivered event finds the grant gone and records the removal once', async () => {
  const { state } = harness.runtime;
  const bot = harness.emulator.core.tenant.bot.principalId.toLowerCase();
  const lines: string[] = [];
  await harness.emulator.eventGrid.subscribe({ name: 'idwarden-killed', schema: 'EventGridSchema', deliver: (body, headers) => workers.deliverEvents(body, headers, lines), retryDelayMs: 50 });
  await workers.ready();
  workers.clockOffsetMs = AFTER_THE_CLAIM_LEASE_MS;

  const scope = `/subscriptions/${SUB_CONTOSO_PROD}`;
  const owner = await asHumanOwner(harness).roleAssignments.create(scope, '0fa17000-0000-4000-8000-0000000000b1', {
    roleDefinitionId: `${scope}/providers/Microsoft.Authorization/roleDefinitions/${OWNER_ROLE}`,
    principalId: UAMI_WEB_PROD,
    principalType: 'ServicePrincipal',
  });
  const isOwnerGrant = (target: string) => target.toLowerCase() === owner.id!.toLowerCase();
  const killed = killAfterOperation(harness.emulator, workers, (operation) => operation.kind === 'delete' && operation.caller.principalId.toLowerCase() === bot && isOwnerGrant(operation.resourceId));
  await harness.emulator.eventGrid.flush();
  await killed;
  await harness.emulator.eventGrid.flush();

  assert.equal(workers.started, 2, 'the host started a fresh worker after the kill');
  assert.deepEqual(harness.emulator.eventGrid.deadLetters, []);
  const trail = (await state.audit.list()).filter((record) => isOwnerGrant(record.target));
  assert.deepEqual(trail.map((record) => `${record.kind} ${record.outcome}`), ['decision acting', 'action downscoped'], 'the acting record, then its outcome from the redelivery');
  assert.equal(trail[1]!.reconciles, trail[0]!.id);
  assert.deepEqual(trail[1]!.priorState, trail[0]!.priorState);
  assert.equal(observed.botOperations.filter((operation) => operation.kind === 'delete' && isOwnerGrant(operation.resourceId)).length, 1, 'deleted once');
  const findingId = trail[0]!.findingId!;
  assert.equal((await state.findings.get(findingId))?.status, 'resolved', 'the finding is resolved: its grant is gone');

  await fireSweepTimer(harness);
  const swept = await workers.drainScanQueue();
  assert.match(swept.join('\n'), /scan done .* gaps=0 /, swept.join('\n'));
  assert.equal((await removals(harness)).filter((removal) => isOwnerGrant(removal.target)).length, 1, 'one removal of the grant, ever');
  assertAlertedOnce(harness, observed, [findingId]);
  await assertEveryActionHasOutcome(harness);
  await assertInvariants(harness, observed);
});
