import { test } from 'node:test';
import assert from 'node:assert/strict';
import { removals, startFaultHarness, sweep, withFaults } from './harness.ts';
import { observe } from './invariants.ts';

const harness = await startFaultHarness('getbyidsempty');
const observed = observe(harness);

test('getByIds answering an empty list for principals that exist: orphan findings appear, but no removal, because absence is confirmed through another endpoint', async () => {
  const empty = { status: 200, headers: { 'content-type': 'application/json' }, body: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#directoryObjects', value: [] } };
  await withFaults(harness.emulator, [{ route: 'graph.directoryObjects.getByIds', response: empty }], () => sweep(harness));

  const audit = await harness.runtime.state.audit.list();
  const refused = audit.filter((record) => record.outcome === 'principal-not-confirmed-absent');
  assert.ok(refused.length > 0, 'the lie produced orphan findings whose removal was refused');
  for (const record of refused) assert.match(record.reason, /exists in the directory/);

  const truth = new Set(harness.faultFree.filter((finding) => finding.ruleId === 'orphaned-role-assignment' && finding.decision.action === 'remediate').map((finding) => finding.roleAssignmentId!.toLowerCase()));
  const orphanRemovals = (await removals(harness)).filter((removal) => removal.ruleId === 'orphaned-role-assignment');
  for (const removal of orphanRemovals) assert.ok(truth.has(removal.target.toLowerCase()), `${removal.target} was removed as an orphan though its principal exists`);
  const deleted = observed.botOperations.filter((operation) => operation.kind === 'delete').map((operation) => operation.resourceId.toLowerCase());
  const existing = new Set(harness.faultFreeSnapshot.roleAssignments.filter((assignment) => harness.emulator.core.tenant.directoryObject(assignment.principalId)).map((assignment) => assignment.id.toLowerCase()));
  const removedForOtherRules = new Set((await removals(harness)).filter((removal) => removal.ruleId !== 'orphaned-role-assignment').map((removal) => removal.target.toLowerCase()));
  for (const id of deleted) assert.ok(!existing.has(id) || removedForOtherRules.has(id), `the bot deleted ${id}, whose principal exists, as an orphan`);
});
