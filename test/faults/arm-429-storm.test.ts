import { test } from 'node:test';
import assert from 'node:assert/strict';
import { armError, remediable, removals, startFaultHarness, sweep, withFaults } from './harness.ts';
import { assertInvariants, observe } from './invariants.ts';

const harness = await startFaultHarness('arm429');
const observed = observe(harness);

test('an ARM 429 storm with Retry-After: 0 on role assignments: the enforcing sweep waits it out and remediates exactly what a calm one would', async () => {
  const lines = await withFaults(harness.emulator, [{ route: 'arm.roleAssignments', times: 3, response: armError(429, 'TooManyRequests', { 'Retry-After': '0' }) }], async ([storm]) => {
    const lines = await sweep(harness);
    assert.equal(harness.emulator.core.faults.counts()[storm!], 3, 'the storm hit the bot');
    return lines;
  });
  assert.match(lines.join('\n'), /scan done .* gaps=0 /);
  assert.deepEqual((await removals(harness)).map((removal) => removal.findingId).sort(), remediable(harness));
  await assertInvariants(harness, observed);
});
