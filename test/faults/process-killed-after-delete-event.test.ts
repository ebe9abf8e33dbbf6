import { test } from 'node:test';
import assert from 'node:assert/strict';
import { killAfterOperation } from '../support/bot-worker.ts';
import { assertSweptAfterwards, killAroundEventDownscope } from './killed-event-downscope.ts';

test('the bot process killed after ARM carried out the DELETE of an event-driven down-scope, before the bot recorded it: the redelivered event finds the grant gone and records the removal once', async () => {
  const world = await killAroundEventDownscope('killafterdelev', '0fa17000-0000-4000-8000-0000000000b1', ({ harness, workers, isOwnerGrant }) => {
    const bot = harness.emulator.core.tenant.bot.principalId.toLowerCase();
    return killAfterOperation(harness.emulator, workers, (operation) => operation.kind === 'delete' && operation.caller.principalId.toLowerCase() === bot && isOwnerGrant(operation.resourceId));
  });
  const { harness, observed, isOwnerGrant } = world;
  const trail = (await harness.runtime.state.audit.list()).filter((record) => isOwnerGrant(record.target));
  assert.deepEqual(trail.map((record) => `${record.kind} ${record.outcome}`), ['decision acting', 'action downscoped'], 'the acting record, then its outcome from the redelivery');
  assert.equal(trail[1]!.reconciles, trail[0]!.id);
  assert.deepEqual(trail[1]!.priorState, trail[0]!.priorState);
  assert.equal(observed.botOperations.filter((operation) => operation.kind === 'delete' && isOwnerGrant(operation.resourceId)).length, 1, 'deleted once');
  const findingId = trail[0]!.findingId!;
  assert.equal((await harness.runtime.state.findings.get(findingId))?.status, 'resolved', 'the finding is resolved: its grant is gone');
  await assertSweptAfterwards(world, findingId);
});
