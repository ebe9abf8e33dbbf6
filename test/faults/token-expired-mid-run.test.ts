import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Interceptor } from '../../emulator/faults/faults.ts';
import { deliverScan, fireSweepTimer, remediable, removals, startFaultHarness } from './harness.ts';
import { assertInvariants, observe } from './invariants.ts';

const harness = await startFaultHarness('tokenexp');
const observed = observe(harness);
const { core } = harness.emulator;
/** Past the expiry of every token issued so far (the emulator's lifetime covers its clock's start in the past). */
const PAST_EXPIRY = (core.tokenLifetimeSeconds + 60) * 1000;

await fireSweepTimer(harness);
const { receivedMessageItems } = await harness.runtime.scanQueue.receiveMessages({ numberOfMessages: 32 });
assert.equal(receivedMessageItems.length, 1, 'the demo tenant fits one scan batch');
const message = receivedMessageItems[0]!.messageText;

test("Azure's clock passes the bot's cached token's expiry in the middle of a scan: every 401 is a gap, no orphan is called absent, nothing is removed", async () => {
  // Azure's clock jumps ahead of the bot's (clock skew): the token the bot holds, still fresh by its own clock, is
  // expired for ARM and Graph from the directory lookup on. Its SDKs have no reason to ask for another.
  let skewed = false;
  const skewAtDirectoryLookup: Interceptor = async (_req, route) => {
    if (!skewed && route?.name === 'graph.directoryObjects.getByIds') {
      skewed = true;
      core.clock.advance(PAST_EXPIRY);
    }
    return undefined;
  };
  core.interceptors.push(skewAtDirectoryLookup);
  const since = core.requests.recent().length;
  let lines: string[];
  try {
    lines = await deliverScan(harness, message, 1).catch((error: Error) => [`rejected ${error.name}: ${error.message}`]);
  } finally {
    core.interceptors.splice(core.interceptors.indexOf(skewAtDirectoryLookup), 1);
  }
  assert.ok(skewed, 'the clock moved during the scan');
  const refused = core.requests.recent().slice(since).filter((request) => request.status === 401);
  assert.ok(refused.some((request) => request.route === 'graph.directoryObjects.getByIds'), 'Graph refused the expired token');
  assert.match(lines.join('\n'), /scan done .* gaps=[1-9]\d* /, `the scan reports the directory it could not read: ${lines.join('\n')}`);

  const sweeps = await harness.runtime.state.runs.listLastSweeps();
  assert.ok(sweeps.length > 0 && sweeps.every((record) => record.outcome !== 'succeeded'), `the sweep is not on record as a success: ${JSON.stringify(sweeps)}`);
  assert.deepEqual(observed.botOperations, [], 'nothing was changed in Azure with a refused token');
  assert.deepEqual(await removals(harness), [], 'no orphan removed on a 401');
  // The remediations' live re-reads were refused too: each is on record as a failed lookup, never as "already gone".
  const audit = await harness.runtime.state.audit.list();
  const skipped = audit.filter((record) => record.kind === 'skipped');
  assert.ok(skipped.length > 0 && skipped.every((record) => record.outcome === 'lookup-failed' && /401 ExpiredAuthenticationToken/.test(record.reason)), JSON.stringify(skipped));
  await assertInvariants(harness, observed);
});

test('the clocks agree again: the redelivered message completes once', async () => {
  core.clock.advance(-PAST_EXPIRY);
  const lines = await deliverScan(harness, message, 2);
  assert.match(lines.join('\n'), /scan done .* gaps=0 /, lines.join('\n'));
  assert.deepEqual((await removals(harness)).map((removal) => removal.findingId).sort(), remediable(harness));
  await assertInvariants(harness, observed);
});
