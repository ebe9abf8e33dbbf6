import { test } from 'node:test';
import assert from 'node:assert/strict';
import { graphError, removals, startFaultHarness, sweep, withFaults } from './harness.ts';
import { assertInvariants, observe } from './invariants.ts';

const harness = await startFaultHarness('getbyids');
const observed = observe(harness);

test('a Graph 5xx burst on directoryObjects/getByIds outlasting the retries: the sweep reports a gap and removes no orphan', async () => {
  const lines = await withFaults(harness.emulator, [{ route: 'graph.directoryObjects.getByIds', response: graphError(503, 'serviceUnavailable', { 'Retry-After': '0' }) }], async ([burst]) => {
    const lines = await sweep(harness);
    assert.ok(harness.emulator.core.faults.counts()[burst!]! > 1, 'the burst hit every attempt, retries included');
    return lines;
  });
  assert.match(lines.join('\n'), /scan done .* gaps=[1-9]\d* /, lines.join('\n'));
  const orphanRemovals = (await removals(harness)).filter((removal) => removal.ruleId === 'orphaned-role-assignment');
  assert.deepEqual(orphanRemovals, [], 'no orphan removed while the directory could not be read');
  const sweeps = await harness.runtime.state.runs.listLastSweeps();
  assert.ok(sweeps.some((record) => record.outcome === 'partial'), 'the sweep is on record as partial');
  await assertInvariants(harness, observed);
});
