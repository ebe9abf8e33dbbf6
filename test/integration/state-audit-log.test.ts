import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditRecordInput } from '../../src/state/audit-log.ts';
import { StateStoreError } from '../../src/state/errors.ts';
import { useAzurite } from '../support/azurite.ts';
import { BOT_PRINCIPAL } from '../support/ids.ts';
import { minute, openTestStore, rawTable, roleAssignmentId } from '../support/state.ts';

const azurite = await useAzurite();

const priorAssignment = {
  id: roleAssignmentId('ra-owner'),
  type: 'Microsoft.Authorization/roleAssignments',
  name: 'ra-owner',
  properties: { roleDefinitionId: '/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635', principalId: 'c0000000-0000-4000-8000-000000000001', principalType: 'ServicePrincipal' },
};

const record = (overrides: Partial<AuditRecordInput> = {}): AuditRecordInput => ({
  at: minute(0),
  kind: 'action',
  findingId: 'privileged-role-broad-scope:abc',
  ruleId: 'privileged-role-broad-scope',
  action: 'delete-role-assignment',
  dryRun: false,
  outcome: 'deleted',
  reason: 'Owner at subscription scope for a managed identity',
  policyHash: 'sha256:policy',
  actor: BOT_PRINCIPAL,
  target: roleAssignmentId('ra-owner'),
  priorState: priorAssignment,
  requestIds: ['req-1', 'req-2'],
  correlationId: 'corr-1',
  runId: 'run-1',
  ...overrides,
});

test('an appended record reads back whole, under a time-ordered id', async () => {
  const { audit } = await openTestStore(azurite);
  const appended = await audit.append(record());

  assert.match(appended.id, /^20260501T090000\.000Z-\d{10}-[0-9a-f]{8}$/);
  assert.deepEqual(await audit.get(appended.id), appended);
  assert.deepEqual(appended.priorState, priorAssignment);
  assert.equal(await audit.get('20260501T090000.000Z-0000000000-00000000'), undefined);
  assert.equal(await audit.get('not-an-audit-id'), undefined);
});

test('records appended in the same millisecond, all at once, list in the order they were appended', async () => {
  const { audit } = await openTestStore(azurite);
  const appended = await Promise.all(Array.from({ length: 40 }, (_, n) => audit.append(record({ outcome: `step-${n}`, at: minute(1) }))));

  const listed = await audit.list();
  assert.deepEqual(
    listed.map((entry) => entry.outcome),
    appended.map((entry) => entry.outcome),
  );
  assert.deepEqual(
    listed.map((entry) => entry.outcome),
    Array.from({ length: 40 }, (_, n) => `step-${n}`),
  );
  assert.equal(new Set(listed.map((entry) => entry.id)).size, 40);
});

test('list is in time order across days and filters by since, finding and run', async () => {
  const { audit } = await openTestStore(azurite);
  const nextDay = new Date(Date.UTC(2026, 4, 2, 0, 0, 1));
  const lateEvening = new Date(Date.UTC(2026, 4, 1, 23, 59, 59, 999));
  // Appended out of time order on purpose.
  await audit.append(record({ at: nextDay, outcome: 'next-day', runId: 'run-2' }));
  await audit.append(record({ at: minute(0), kind: 'decision', outcome: 'first', findingId: 'other-finding' }));
  await audit.append(record({ at: lateEvening, outcome: 'late-evening' }));
  await audit.append(record({ at: minute(5), kind: 'skipped', outcome: 'second', dryRun: true, priorState: undefined, action: undefined }));

  assert.deepEqual((await audit.list()).map((entry) => entry.outcome), ['first', 'second', 'late-evening', 'next-day']);
  assert.deepEqual((await audit.list({ since: minute(5) })).map((entry) => entry.outcome), ['second', 'late-evening', 'next-day']);
  assert.deepEqual((await audit.list({ since: new Date(Date.UTC(2026, 4, 2)) })).map((entry) => entry.outcome), ['next-day']);
  assert.deepEqual((await audit.list({ findingId: 'other-finding' })).map((entry) => entry.outcome), ['first']);
  assert.deepEqual((await audit.list({ runId: 'run-2', since: minute(0) })).map((entry) => entry.outcome), ['next-day']);
  const skipped = (await audit.list({ since: minute(5) }))[0];
  assert.equal(skipped?.priorState, undefined);
  assert.equal(skipped?.action, undefined);
});

test('the audit log offers no way to change or remove a record', async () => {
  const { audit } = await openTestStore(azurite);
  assert.deepEqual(Object.keys(audit).sort(), ['append', 'appendReconciliation', 'get', 'list']);
});

test("an acting record's reconciliation is written once: a second one finds the first, unchanged, filed right after the acting record", async () => {
  const { audit } = await openTestStore(azurite);
  const acting = await audit.append(record({ kind: 'decision', outcome: 'acting' }));
  const later = await audit.append(record({ at: minute(1), kind: 'skipped', outcome: 'protected' }));
  const first = await audit.appendReconciliation({ ...record({ at: minute(20), outcome: 'deleted', reason: 'first' }), reconciles: acting.id });
  const second = await audit.appendReconciliation({ ...record({ at: minute(21), kind: 'action-failed', outcome: 'interrupted', reason: 'second' }), reconciles: acting.id });
  assert.equal(first.created, true);
  assert.equal(second.created, false);
  assert.deepEqual(second.record, first.record);
  assert.deepEqual((await audit.list()).map((each) => each.id), [acting.id, first.record.id, later.id]);
  assert.deepEqual(await audit.get(first.record.id), first.record);
  await assert.rejects(audit.appendReconciliation({ ...record(), reconciles: first.record.id }), /is not the id of an acting record/);
});

test('the table layout: partition by UTC day, row key sortable by time', async () => {
  const store = await openTestStore(azurite);
  const appended = await store.audit.append(record({ at: new Date(Date.UTC(2026, 11, 31, 23, 59, 59, 999)) }));
  const entities = [];
  for await (const entity of rawTable(azurite, store, 'Audit').listEntities()) entities.push(entity);
  assert.equal(entities.length, 1);
  assert.equal(entities[0]?.partitionKey, '20261231');
  assert.equal(entities[0]?.rowKey, appended.id);
});

test('a prior state too large for a record is refused whole, never truncated', async () => {
  const { audit } = await openTestStore(azurite);
  const oversized = { ...priorAssignment, tags: { blob: 'x'.repeat(400_000) } };
  await assert.rejects(audit.append(record({ priorState: oversized })), (error: unknown) => {
    assert.ok(error instanceof StateStoreError);
    assert.equal(error.code, 'EntityTooLarge');
    assert.equal(error.operation, 'append');
    return true;
  });
  const large = { ...priorAssignment, tags: { blob: 'x'.repeat(100_000) } };
  const appended = await audit.append(record({ priorState: large }));
  assert.deepEqual((await audit.get(appended.id))?.priorState, large);
  assert.equal((await audit.list()).length, 1, 'the refused record left nothing behind');
});
