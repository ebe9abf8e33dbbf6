import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSweep } from '../../src/pipeline/sweep.ts';
import { CLIENT_TIMEOUT } from '../../src/azure/timeout.ts';
import { remediable, removals, startFaultHarness, sweep, withFaults } from './harness.ts';
import { assertInvariants, observe } from './invariants.ts';

/** The bot's per-request bound, set low so the scenario stays fast; answers come well within it when nothing is injected. */
const TIMEOUT_MS = 2_000;
const TOO_SLOW_MS = TIMEOUT_MS + 600;
process.env['IDWARDEN_AZURE_REQUEST_TIMEOUT_MS'] = String(TIMEOUT_MS);
const harness = await startFaultHarness('slow');
const observed = observe(harness);
const faultFreeIds = new Set(harness.faultFree.map((finding) => finding.id));

test('getByIds answering after the client timeout: the read fails as a ClientTimeout gap, its principals stay unknown, and no finding is made up', async () => {
  assert.equal(harness.runtime.clients.config.requestTimeoutMs, TIMEOUT_MS);
  const { snapshot, findings } = await withFaults(harness.emulator, [{ route: 'graph.directoryObjects.getByIds', latencyMs: TOO_SLOW_MS }], async ([slow]) => {
    const started = Date.now();
    const result = await runSweep(harness.runtime.clients, harness.runtime.policy, { asOf: harness.runtime.now() });
    assert.equal(harness.emulator.core.faults.counts()[slow!], 1, 'a timed-out read is not retried');
    assert.ok(Date.now() - started < TOO_SLOW_MS + 5_000, 'the sweep did not wait for the slow answer');
    return result;
  });
  const gap = snapshot.gaps.find((each) => each.area === 'principals');
  assert.ok(gap, JSON.stringify(snapshot.gaps));
  assert.match(gap.reason, new RegExp(`Microsoft Graph directoryObjects\\.getByIds failed with ${CLIENT_TIMEOUT}: no answer from .* within ${TIMEOUT_MS} ms`));
  const states = Object.values(snapshot.principals).map((principal) => principal.state);
  assert.ok(states.includes('unknown') && !states.includes('absent'), 'no principal is called absent on a timed-out read');
  const madeUp = findings.filter((finding) => !faultFreeIds.has(finding.id));
  assert.deepEqual(madeUp.map((finding) => finding.id), [], 'every finding is one the fault-free sweep made');
  assert.ok(!findings.some((finding) => finding.ruleId === 'orphaned-role-assignment'), 'no orphan judged without the directory');
});

test("a remediation's live re-read answering after the timeout: that remediation is skipped as a failed lookup, the others go ahead", async () => {
  const lines = await withFaults(harness.emulator, [{ route: 'arm.roleAssignments.get', method: 'GET', times: 1, latencyMs: TOO_SLOW_MS }], async ([slow]) => {
    const lines = await sweep(harness);
    assert.equal(harness.emulator.core.faults.counts()[slow!], 1);
    return lines;
  });
  assert.match(lines.join('\n'), /scan done .* gaps=0 /, lines.join('\n'));
  const audit = await harness.runtime.state.audit.list();
  const timedOut = audit.filter((record) => record.kind === 'skipped' && record.outcome === 'lookup-failed');
  assert.equal(timedOut.length, 1, JSON.stringify(audit.filter((record) => record.kind === 'skipped')));
  assert.match(timedOut[0]!.reason, new RegExp(`ARM roleAssignments\\.getById failed with ${CLIENT_TIMEOUT}`));
  const removed = (await removals(harness)).map((removal) => removal.findingId).sort();
  assert.deepEqual(removed, remediable(harness).filter((id) => id !== timedOut[0]!.findingId), 'every other remediation went ahead');
  assert.ok(!observed.botOperations.some((operation) => operation.resourceId.toLowerCase() === timedOut[0]!.target.toLowerCase()), 'the unread assignment was not touched');

  // The next sweep, with Azure answering in time, completes what was left.
  await sweep(harness);
  assert.deepEqual((await removals(harness)).map((removal) => removal.findingId).sort(), remediable(harness));
  await assertInvariants(harness, observed);
});
