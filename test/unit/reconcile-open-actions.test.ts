import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openActions } from '../../src/actions/remediate/reconcile.ts';
import type { AuditRecord } from '../../src/state/audit-log.ts';

const TARGET = '/subscriptions/5b000001-0000-4000-8000-000000000001/providers/Microsoft.Authorization/roleAssignments/ra-1';
let sequence = 0;

/** An audit record as the log returns it: the id ends with the tag of the process that wrote it. */
function record(writer: string, kind: AuditRecord['kind'], outcome: string, extra: Partial<AuditRecord> = {}): AuditRecord {
  const at = new Date(Date.UTC(2026, 10, 20, 12, 0, 0, sequence));
  return {
    id: `${at.toISOString().replace(/[-:]/g, '')}-${String(sequence++).padStart(10, '0')}-${writer}`,
    at,
    kind,
    findingId: 'orphaned-role-assignment:1',
    ruleId: 'orphaned-role-assignment',
    action: 'delete-role-assignment',
    dryRun: false,
    outcome,
    reason: 'test',
    policyHash: 'sha256:policy',
    actor: 'bot',
    target: TARGET,
    requestIds: [],
    runId: 'run-1',
    ...extra,
  };
}

test("an 'acting' record followed by its own outcome, from the process that wrote it, is closed", () => {
  assert.deepEqual(openActions([record('aaaaaaaa', 'decision', 'acting'), record('aaaaaaaa', 'action', 'deleted')]), []);
  assert.deepEqual(openActions([record('aaaaaaaa', 'decision', 'acting'), record('aaaaaaaa', 'action-failed', 'failed')]), []);
  assert.deepEqual(openActions([record('aaaaaaaa', 'decision', 'acting'), record('aaaaaaaa', 'skipped', 'already-gone')]), []);
});

test("another process's outcome for the same target does not close an 'acting' record; a reconciliation naming it does", () => {
  const acting = record('aaaaaaaa', 'decision', 'acting');
  const retry = [record('bbbbbbbb', 'decision', 'acting'), record('bbbbbbbb', 'action', 'deleted')];
  assert.deepEqual(openActions([acting, ...retry]).map((open) => open.id), [acting.id], 'the dead attempt is still open');
  assert.deepEqual(openActions([acting, record('bbbbbbbb', 'action-failed', 'interrupted', { reconciles: acting.id }), ...retry]), []);
});

test('an outcome closes the latest open action on its finding and target only', () => {
  const earlier = record('aaaaaaaa', 'decision', 'acting');
  const other = record('aaaaaaaa', 'decision', 'acting', { findingId: 'orphaned-role-assignment:2', target: `${TARGET}-2` });
  const later = record('aaaaaaaa', 'decision', 'acting');
  const open = openActions([earlier, other, later, record('aaaaaaaa', 'action', 'deleted', { target: TARGET.toUpperCase() })]);
  assert.deepEqual(open.map((each) => each.id), [earlier.id, other.id]);
});

test('dry-run decisions and skips before acting leave nothing open', () => {
  assert.deepEqual(openActions([record('aaaaaaaa', 'skipped', 'protected'), record('aaaaaaaa', 'decision', 'would-delete', { dryRun: true })]), []);
});
