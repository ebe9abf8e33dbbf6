import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fireSweepTimer, remediable, removals, startFaultHarness } from './harness.ts';
import { assertAlertedOnce, assertEveryActionHasOutcome, assertInvariants, observe } from './invariants.ts';
import { BotWorkers, killOnRequest, WorkerKilled } from '../support/bot-worker.ts';

const harness = await startFaultHarness('killsweep');
const observed = observe(harness);
const workers = new BotWorkers((runId, outcomes) => observed.alerts.push(...outcomes.map((outcome) => ({ runId, outcome }))));

test('the bot process killed in the middle of a queue scan, after it recorded findings and made one removal: the redelivered message completes the sweep once', async () => {
  const { state } = harness.runtime;
  assert.ok(remediable(harness).length >= 2, 'the demo sweep has several removals to make');
  await fireSweepTimer(harness);

  // The second remediation's re-read of its assignment: the findings are recorded and the first removal is done.
  let reads = 0;
  const killed = killOnRequest(harness.emulator, workers, ({ method, route }) => method === 'GET' && route === 'arm.roleAssignments.get' && ++reads === 2);
  await assert.rejects(workers.drainScanQueue(), WorkerKilled);
  await killed;
  const first = await removals(harness);
  assert.equal(first.length, 1, 'one removal was made before the kill');
  for (const finding of harness.faultFree) assert.ok(await state.findings.get(finding.id), `the scan recorded ${finding.id} before it was killed`);
  assert.deepEqual(observed.alerts, [], 'the killed attempt had not alerted yet');

  // A fresh worker; the message is visible again once its visibility lapses, and is delivered a second time.
  const lines = await workers.drainScanQueue();
  assert.equal(workers.started, 2);
  assert.match(lines.join('\n'), /scan done .* gaps=0 /, lines.join('\n'));
  const all = await removals(harness);
  assert.deepEqual(all.map((removal) => removal.findingId).sort(), remediable(harness), 'every removal made, and once');
  assert.ok(all.some((removal) => removal.findingId === first[0]!.findingId && removal.target === first[0]!.target));
  assertAlertedOnce(harness, observed);
  await assertEveryActionHasOutcome(harness);
  assert.equal((await state.runs.listLastSweeps()).every((record) => record.outcome === 'succeeded'), true, 'the sweep is on record as complete');
  await assertInvariants(harness, observed);
});
