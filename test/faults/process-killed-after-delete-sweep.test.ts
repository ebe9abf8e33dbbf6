import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fireSweepTimer, remediable, removals, startFaultHarness } from './harness.ts';
import { assertAlertedOnce, assertEveryActionHasOutcome, assertInvariants, observe } from './invariants.ts';
import { BotWorkers, killAfterOperation, WorkerKilled } from '../support/bot-worker.ts';

const harness = await startFaultHarness('killafterdel');
const observed = observe(harness);
const workers = new BotWorkers((runId, outcomes) => observed.alerts.push(...outcomes.map((outcome) => ({ runId, outcome }))));

test('the bot process killed after ARM carried out its delete and before it recorded the removal: the redelivered scan records that removal, and makes no other twice', async () => {
  const { state } = harness.runtime;
  const bot = harness.emulator.core.tenant.bot.principalId.toLowerCase();
  await fireSweepTimer(harness);

  const killed = killAfterOperation(harness.emulator, workers, (operation) => operation.kind === 'delete' && operation.caller.principalId.toLowerCase() === bot);
  await assert.rejects(workers.drainScanQueue(), WorkerKilled);
  const deleted = await killed;
  assert.equal(harness.emulator.core.tenant.roleAssignment(deleted.resourceId), undefined, 'Azure carried out the delete');
  const trail = (await state.audit.list()).filter((record) => record.target.toLowerCase() === deleted.resourceId.toLowerCase());
  assert.deepEqual(trail.map((record) => `${record.kind} ${record.outcome}`), ['decision acting'], 'the bot died between its acting record and its outcome');
  const acting = trail[0]!;

  // A fresh worker gets the message again: the rescan no longer sees the assignment, and the audit gets its outcome.
  const lines = await workers.drainScanQueue();
  assert.equal(workers.started, 2);
  const done = lines.join('\n');
  assert.match(done, /scan done .* gaps=0 .* reconciled=(deleted|downscoped)$/m, done);
  const closing = (await state.audit.list()).filter((record) => record.reconciles === acting.id);
  assert.equal(closing.length, 1, 'one record gives the interrupted action its outcome');
  assert.equal(closing[0]!.kind, 'action');
  assert.equal(closing[0]!.outcome, acting.action === 'downscope-role-assignment' ? 'downscoped' : 'deleted');
  assert.equal(closing[0]!.findingId, acting.findingId);
  assert.deepEqual(closing[0]!.priorState, acting.priorState, 'the prior state is kept, so the removal can be restored');
  assert.match(closing[0]!.reason, /carried out by an attempt that stopped before recording it/);

  const all = await removals(harness);
  assert.deepEqual(all.map((removal) => removal.findingId).sort(), remediable(harness), 'every removal made, and recorded, once');
  const deletes = observed.botOperations.filter((operation) => operation.kind === 'delete').map((operation) => operation.resourceId.toLowerCase());
  assert.equal(new Set(deletes).size, deletes.length, 'no assignment deleted twice');
  assertAlertedOnce(harness, observed);
  await assertEveryActionHasOutcome(harness);
  await assertInvariants(harness, observed);
});
