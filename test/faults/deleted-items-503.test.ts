import { test } from 'node:test';
import assert from 'node:assert/strict';
import { graphError, removals, startFaultHarness, sweep, withFaults } from './harness.ts';
import { assertInvariants, observe } from './invariants.ts';

const harness = await startFaultHarness('deleted');
const observed = observe(harness);

test('Graph deletedItems answering 503 throughout: whether a principal is gone is unknown, so no orphan is removed', async () => {
  const lines = await withFaults(harness.emulator, [{ route: 'graph.deletedItems.list', response: graphError(503, 'serviceUnavailable', { 'Retry-After': '0' }) }], async ([outage]) => {
    const lines = await sweep(harness);
    assert.ok(harness.emulator.core.faults.counts()[outage!]! > 0, 'the deleted-items lookups failed');
    return lines;
  });
  const orphanRemovals = (await removals(harness)).filter((removal) => removal.ruleId === 'orphaned-role-assignment');
  assert.deepEqual(orphanRemovals, [], 'no orphan removed while soft-deletion could not be ruled out');
  assert.match(lines.join('\n'), /scan done .* gaps=[1-9]\d* /, lines.join('\n'));
  await assertInvariants(harness, observed);
});
