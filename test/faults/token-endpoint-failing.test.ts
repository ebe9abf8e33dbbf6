import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deliverScan, fireSweepTimer, remediable, removals, startFaultHarness, useTokenHungryRuntime, withFaults } from './harness.ts';
import { assertInvariants, observe } from './invariants.ts';

const harness = await startFaultHarness('tokenfail');
const observed = observe(harness);
await useTokenHungryRuntime(harness);
const { core } = harness.emulator;
/** What the App Service token endpoint answers when it is throttled or restarting; `Retry-After: 0` keeps the SDK's retries instant. */
const UNAVAILABLE = { status: 503, headers: { 'Retry-After': '0' }, body: { error: 'service_unavailable', error_description: 'injected by the fault suite' } };

await fireSweepTimer(harness);
const { receivedMessageItems } = await harness.runtime.scanQueue.receiveMessages({ numberOfMessages: 32 });
assert.equal(receivedMessageItems.length, 1, 'the demo tenant fits one scan batch');
const message = receivedMessageItems[0]!.messageText;

test('the token endpoint failing past the credential retries: the scan rejects with a TokenUnavailableError naming the endpoint, acts on nothing, and is on record as failed', async () => {
  await withFaults(harness.emulator, [{ route: 'token', response: UNAVAILABLE }], async ([outage]) => {
    await assert.rejects(deliverScan(harness, message, 1), (error: Error) => {
      assert.equal(error.name, 'TokenUnavailableError', error.stack);
      assert.ok(error.message.includes(harness.emulator.env['IDENTITY_ENDPOINT']!), `the message names the token endpoint: ${error.message}`);
      assert.match(error.message, /management\.azure\.com/, 'and the resource the token was for');
      assert.ok(!error.message.includes(core.identityHeader), 'the endpoint secret stays out of the message');
      assert.doesNotMatch(error.message, /eyJ[\w-]+\.[\w-]+/, 'no token in the message');
      return true;
    });
    assert.ok(core.faults.counts()[outage!]! > 1, 'the credential retried before giving up');
  });
  assert.deepEqual(observed.botOperations, [], 'nothing was changed in Azure without a token');
  assert.deepEqual(await removals(harness), []);
  const sweeps = await harness.runtime.state.runs.listLastSweeps();
  assert.ok(sweeps.length > 0 && sweeps.every((record) => record.outcome === 'failed'), `the sweep is on record as failed: ${JSON.stringify(sweeps)}`);
  assert.match(String(sweeps[0]!.summary['error']), /TokenUnavailableError: no access token .* from the managed-identity endpoint/);
  assert.ok(!JSON.stringify(sweeps).includes(core.identityHeader), 'the record carries no secret');
});

test('the host redelivers while the endpoint is flaky (a dropped connection, then two 503s): the credential retries through it and the message completes once', async () => {
  const lines = await withFaults(harness.emulator, [{ route: 'token', times: 1, drop: true }, { route: 'token', times: 2, response: UNAVAILABLE }], async ([drop, unavailable]) => {
    const lines = await deliverScan(harness, message, 2);
    assert.equal(core.faults.counts()[drop!], 1, 'one token request was dropped');
    assert.equal(core.faults.counts()[unavailable!], 2, 'two token requests were refused');
    return lines;
  });
  assert.match(lines.join('\n'), /scan done .* gaps=0 /, lines.join('\n'));
  assert.deepEqual((await removals(harness)).map((removal) => removal.findingId).sort(), remediable(harness));
  const sweeps = await harness.runtime.state.runs.listLastSweeps();
  assert.ok(sweeps.every((record) => record.outcome === 'succeeded'), 'the completed sweep replaced the failed record');
  // The host lost the delete and delivers once more: nothing is done twice.
  await deliverScan(harness, message, 3);
  assert.deepEqual((await removals(harness)).map((removal) => removal.findingId).sort(), remediable(harness), 'no removal repeated');
  await assertInvariants(harness, observed);
});
