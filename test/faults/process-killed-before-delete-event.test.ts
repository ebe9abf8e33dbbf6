import { test } from 'node:test';
import assert from 'node:assert/strict';
import { killOnRequest } from '../support/bot-worker.ts';
import { assertSweptAfterwards, killAroundEventDownscope } from './killed-event-downscope.ts';

test('the bot process killed after its acting record and before its DELETE reached ARM: Event Grid redelivers, the interruption is on record, and the grant is down-scoped once', async () => {
  const world = await killAroundEventDownscope('killbeforedel', '0fa17000-0000-4000-8000-0000000000a1', ({ harness, workers, isOwnerGrant }) =>
    killOnRequest(harness.emulator, workers, ({ method, route, path }) => method === 'DELETE' && route === 'arm.roleAssignments.delete' && isOwnerGrant(path)),
  );
  const { harness, observed, isOwnerGrant } = world;
  const deliveries = harness.emulator.eventGrid.deliveries.filter((delivery) => delivery.subscriptionName === 'idwarden-killed');
  assert.ok(deliveries.some((delivery) => delivery.status === undefined && delivery.deliveryCount === 0), 'the first delivery got no answer');

  const trail = (await harness.runtime.state.audit.list()).filter((record) => isOwnerGrant(record.target));
  assert.deepEqual(
    trail.map((record) => `${record.kind} ${record.outcome}`),
    ['decision acting', 'action-failed interrupted', 'decision acting', 'action downscoped'],
    'the interrupted attempt, its outcome, then the redelivery acting afresh',
  );
  assert.equal(trail[1]!.reconciles, trail[0]!.id);
  assert.match(trail[1]!.reason, /not carried out; the attempt stopped after deciding to act/);
  assert.equal(harness.emulator.core.tenant.roleAssignment(world.ownerGrantId), undefined, 'the broad Owner grant is gone');
  const deletes = observed.botOperations.filter((operation) => operation.kind === 'delete' && isOwnerGrant(operation.resourceId));
  assert.equal(deletes.length, 1, 'deleted once: the dropped DELETE never reached ARM');
  await assertSweptAfterwards(world, trail[0]!.findingId!);
});
