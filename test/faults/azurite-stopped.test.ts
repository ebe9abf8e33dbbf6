import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deliverScan, fireSweepTimer, remediable, removals, startFaultHarness } from './harness.ts';
import { assertInvariants, observe } from './invariants.ts';

const harness = await startFaultHarness('azstop');
const observed = observe(harness);

test('Azurite stopped in the middle of a queue scan: the scan rejects for the host to retry, acts on nothing unrecorded, and the redelivered message completes once', async () => {
  await fireSweepTimer(harness);
  const { receivedMessageItems } = await harness.runtime.scanQueue.receiveMessages({ numberOfMessages: 32 });
  assert.equal(receivedMessageItems.length, 1, 'the demo tenant fits one scan batch');
  const message = receivedMessageItems[0]!.messageText;

  // Storage goes down once the scan is under way: at its first call to Azure, before it records anything.
  const { interceptors } = harness.emulator.core;
  let stopped: Promise<void> | undefined;
  const stopStorage = async () => {
    stopped ??= harness.azurite.stop();
    await stopped;
    return undefined;
  };
  interceptors.push(stopStorage);
  try {
    await assert.rejects(deliverScan(harness, message, 1), (error: Error) => {
      assert.equal(error.name, 'StateStoreError', error.stack);
      return true;
    });
  } finally {
    interceptors.splice(interceptors.indexOf(stopStorage), 1);
  }
  assert.ok(stopped, 'storage was stopped during the scan');
  assert.deepEqual(observed.botOperations, [], 'nothing was changed in Azure while nothing could be recorded');

  // Storage is back (empty, as a fresh in-memory Azurite is); the host redelivers the message.
  await harness.azurite.restart();
  const lines = await deliverScan(harness, message, 2);
  assert.match(lines.join('\n'), /scan done .* gaps=0 /, lines.join('\n'));
  assert.deepEqual((await removals(harness)).map((removal) => removal.findingId).sort(), remediable(harness));
  // Delivered once more (the host lost the delete of the message): nothing is done twice.
  await deliverScan(harness, message, 3);
  assert.deepEqual((await removals(harness)).map((removal) => removal.findingId).sort(), remediable(harness), 'no removal repeated');
  await assertInvariants(harness, observed);
});
