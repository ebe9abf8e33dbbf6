import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Interceptor } from '../../emulator/faults/faults.ts';
import { GET_BY_IDS_BATCH } from '../../src/azure/directory.ts';
import { runSweep } from '../../src/pipeline/sweep.ts';
import { graphError, removals, startFaultHarness, sweep, SUB_CONTOSO_PROD } from './harness.ts';
import { assertInvariants, observe } from './invariants.ts';

const harness = await startFaultHarness('byidspart');
const observed = observe(harness);
const { core } = harness.emulator;
const tenant = core.tenant;

/** The demo's three orphans: principals in neither the directory nor its deleted items. */
const ORPHANS = ['de100000-0000-4000-8000-000000000001', 'de100000-0000-4000-8000-000000000002', 'de100000-0000-4000-8000-000000000003'];
const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
const EXTRA_USERS = 1_100;

// More principals than one getByIds request takes: 1,100 more people, each a Reader on contoso-prod.
for (let index = 0; index < EXTRA_USERS; index += 1) {
  const suffix = index.toString(16).padStart(12, '0');
  const id = `c0ffee00-0000-4000-8000-${suffix}`;
  tenant.users.set(id, { id, displayName: `Reader ${index}`, userPrincipalName: `reader${index}@contoso.example` });
  tenant.createRoleAssignment(
    { scope: `/subscriptions/${SUB_CONTOSO_PROD}`, name: `c0ffee01-0000-4000-8000-${suffix}`, roleDefinitionId: READER, principalId: id, principalType: 'User' },
    core.clock.now(),
  );
}

/** Every getByIds request's ids; the one holding the first orphan fails on every attempt, retries included. */
const batches: { ids: string[]; failed: boolean }[] = [];
const failTheFirstOrphansBatch: Interceptor = async (req, route) => {
  if (route?.name !== 'graph.directoryObjects.getByIds') return undefined;
  const ids = (JSON.parse(req.rawBody) as { ids: string[] }).ids.map((id) => id.toLowerCase());
  const failed = ids.includes(ORPHANS[0]!);
  batches.push({ ids, failed });
  return failed ? { kind: 'respond', response: graphError(503, 'serviceUnavailable', { 'Retry-After': '0' }) } : undefined;
};

test('one getByIds batch of two failing on every attempt: its principals are unknown, the other batch is judged, and no unknown principal loses an assignment', async () => {
  core.interceptors.unshift(failTheFirstOrphansBatch);
  try {
    const { snapshot, findings } = await runSweep(harness.runtime.clients, harness.runtime.policy, { asOf: harness.runtime.now() });
    const failedIds = new Set(batches.filter((batch) => batch.failed).flatMap((batch) => batch.ids));
    const judgedIds = new Set(batches.filter((batch) => !batch.failed).flatMap((batch) => batch.ids));
    assert.ok(batches.some((batch) => batch.ids.length === GET_BY_IDS_BATCH), 'the principals took more than one request');
    assert.ok(failedIds.size > 0 && judgedIds.size > 0, 'one batch failed, another answered');
    const judgedOrphans = ORPHANS.filter((id) => judgedIds.has(id));
    assert.ok(judgedOrphans.length > 0, `an orphan lies in the batch that answered (failed batch holds ${ORPHANS.filter((id) => failedIds.has(id)).join(', ')})`);

    for (const id of failedIds) assert.equal(snapshot.principals[id]?.state, 'unknown', `${id} of the failed batch is unknown`);
    for (const id of judgedIds) assert.notEqual(snapshot.principals[id]?.state, 'unknown', `${id} of the answered batch is judged`);
    assert.equal(snapshot.gaps.filter((gap) => gap.area === 'principals').length, 1, 'one gap, for the failed batch');
    const orphanFindings = findings.filter((finding) => finding.ruleId === 'orphaned-role-assignment').map((finding) => finding.principalId!.toLowerCase());
    assert.deepEqual(orphanFindings.sort(), judgedOrphans.sort(), 'orphans are found in the answered batch only');

    // The same through the queue, enforcing: the answered batch's orphans are removed, nothing of the failed batch is.
    const lines = await sweep(harness);
    assert.match(lines.join('\n'), /scan done .* gaps=1 /, lines.join('\n'));
  } finally {
    core.interceptors.splice(core.interceptors.indexOf(failTheFirstOrphansBatch), 1);
  }
  const removed = await removals(harness);
  const removedPrincipals = await Promise.all(removed.map(async (removal) => (await harness.runtime.state.findings.get(removal.findingId))!.finding.principalId!.toLowerCase()));
  const failedIds = new Set(batches.filter((batch) => batch.failed).flatMap((batch) => batch.ids));
  assert.deepEqual(removedPrincipals.filter((id) => failedIds.has(id)), [], 'no principal of the failed batch lost an assignment');
  assert.ok(removed.some((removal) => removal.ruleId === 'orphaned-role-assignment'), 'the answered batch\'s orphans were removed');
  await assertInvariants(harness, observed);
});
