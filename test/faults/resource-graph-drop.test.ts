import { test } from 'node:test';
import assert from 'node:assert/strict';
import { remediable, removals, startFaultHarness, sweep, withFaults } from './harness.ts';
import { assertInvariants, observe } from './invariants.ts';

const harness = await startFaultHarness('rgdrop');
const observed = observe(harness);

test('a dropped connection on one Resource Graph query: the client retries and the sweep completes as a calm one would', async () => {
  const lines = await withFaults(harness.emulator, [{ route: 'resourceGraph.resources', times: 1, drop: true }], async ([drop]) => {
    const lines = await sweep(harness);
    assert.equal(harness.emulator.core.faults.counts()[drop!], 1, 'one connection was dropped');
    return lines;
  });
  assert.match(lines.join('\n'), /scan done .* gaps=0 /, lines.join('\n'));
  assert.deepEqual((await removals(harness)).map((removal) => removal.findingId).sort(), remediable(harness));
  await assertInvariants(harness, observed);
});
