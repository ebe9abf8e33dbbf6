import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEmulator } from '../support/emulator.ts';
import { useAzurite } from '../support/azurite.ts';
import { openTestStore, roleAssignmentId } from '../support/state.ts';
import { smallTenant } from '../support/seeds.ts';
import { BOT_PRINCIPAL } from '../support/ids.ts';
import { createAzureClients } from '../../src/azure/clients.ts';
import { loadAzureConfig } from '../../src/azure/config.ts';
import { closeAbandonedActions, type BackstopContext } from '../../src/actions/remediate/backstop.ts';
import { openActions } from '../../src/actions/remediate/reconcile.ts';
import { functionTimeLimitMs, invocationCertainlyOverMs } from '../../src/hosting/function-time-limit.ts';
import type { StateStore } from '../../src/state/state-store.ts';
import type { AuditRecord, AuditRecordInput } from '../../src/state/audit-log.ts';

const emulator = await useEmulator({ seed: smallTenant() });
const azurite = await useAzurite();
const clients = createAzureClients(loadAzureConfig(emulator.env));
const NOW = new Date('2026-11-20T12:00:00Z');
const minutesAgo = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000);

function backstopOf(store: StateStore): BackstopContext {
  return { clients, audit: store.audit, botPrincipalId: BOT_PRINCIPAL, now: () => NOW, runs: store.runs };
}

let assignments = 0;
/** An 'acting' record for a role assignment that does not exist (any more): reconciled as carried out. */
function acting(store: StateStore, at: Date, extra: Partial<AuditRecordInput> = {}): Promise<AuditRecord> {
  assignments += 1;
  return store.audit.append({
    at,
    kind: 'decision',
    findingId: `orphaned-role-assignment:${assignments}`,
    ruleId: 'orphaned-role-assignment',
    action: 'delete-role-assignment',
    dryRun: false,
    outcome: 'acting',
    reason: `delete assignment ${assignments}`,
    policyHash: 'sha256:policy',
    actor: BOT_PRINCIPAL,
    target: roleAssignmentId(`0ab00000-0000-4000-8000-${String(assignments).padStart(12, '0')}`),
    requestIds: [],
    runId: `run-${assignments}`,
    correlationId: `work-${assignments}`,
    ...extra,
  });
}

test('abandoned actions are reconciled oldest first, at most the cap per run; the next run takes up at the first one left, and young ones are left alone', async () => {
  const store = await openTestStore(azurite);
  const [oldest, older, old] = [await acting(store, minutesAgo(300)), await acting(store, minutesAgo(60)), await acting(store, minutesAgo(30))];
  const finished = await acting(store, minutesAgo(50));
  await store.audit.append({ ...finished, at: minutesAgo(50), kind: 'action', outcome: 'deleted' });
  // Written less than the time limit and its margin ago: its invocation may still be running.
  const young = await acting(store, new Date(NOW.getTime() - invocationCertainlyOverMs() + 60_000));

  const first = await closeAbandonedActions(backstopOf(store), { foundBy: 'the test', cap: 2 });
  assert.deepEqual(first.reconciled.map((action) => [action.actingId, action.outcome, action.recordedHere]), [
    [oldest.id, 'deleted', true],
    [older.id, 'deleted', true],
  ]);
  assert.equal(first.deferred, 1);
  assert.deepEqual(first.watermark, old.at, 'the watermark stops at the first record left');
  assert.deepEqual(await store.runs.backstopWatermark(), old.at);

  const second = await closeAbandonedActions(backstopOf(store), { foundBy: 'the test', cap: 2 });
  assert.deepEqual(second.reconciled.map((action) => action.actingId), [old.id]);
  assert.equal(second.deferred, 0);
  assert.ok(second.read < first.read, `the second run reads from the watermark on (${second.read} records, the first ${first.read})`);
  assert.deepEqual(second.watermark, new Date(NOW.getTime() - invocationCertainlyOverMs()));
  assert.deepEqual(openActions(await store.audit.list()).map((record) => record.id), [young.id]);

  const closing = (await store.audit.list()).filter((record) => record.reconciles);
  assert.deepEqual(closing.map((record) => [record.reconciles, record.kind, record.outcome, record.runId]), [
    [oldest.id, 'action', 'deleted', oldest.runId],
    [older.id, 'action', 'deleted', older.runId],
    [old.id, 'action', 'deleted', old.runId],
  ]);
  assert.ok(closing.every((record) => /; found by the test$/.test(record.reason)));
  assert.deepEqual(await store.audit.get(closing[0]!.id), closing[0], 'a reconciliation is found by its id (what `idwarden restore` takes)');
});

test('an action whose live read fails is left open for the next run and holds the watermark; the others are reconciled', async () => {
  const store = await openTestStore(azurite);
  const unreadable = await acting(store, minutesAgo(120), { action: 'rename-role-assignment' });
  const readable = await acting(store, minutesAgo(90));

  const run = await closeAbandonedActions(backstopOf(store), { foundBy: 'the test' });
  assert.deepEqual(run.reconciled.map((action) => action.actingId), [readable.id]);
  assert.deepEqual(run.failed.map((failure) => failure.actingId), [unreadable.id]);
  assert.match(run.failed[0]!.error, /unfinished 'rename-role-assignment', which no reconciliation knows how to read/);
  assert.deepEqual(run.watermark, unreadable.at);
  assert.deepEqual(openActions(await store.audit.list()).map((record) => record.id), [unreadable.id]);
});

test('backstops running at once (each its own process and audit writer) reconcile each action once, and the watermark only moves forward', async () => {
  const one = await openTestStore(azurite);
  const other = await openTestStore(azurite, { tablePrefix: one.tables[0]!.replace(/Findings$/, '') });
  const records = [await acting(one, minutesAgo(200)), await acting(one, minutesAgo(100)), await acting(other, minutesAgo(80))];

  const runs = await Promise.all([closeAbandonedActions(backstopOf(one), { foundBy: 'backstop one' }), closeAbandonedActions(backstopOf(other), { foundBy: 'backstop two' })]);
  for (const run of runs) assert.deepEqual(run.reconciled.map((action) => action.actingId).sort(), records.map((record) => record.id).sort());
  const written = runs.flatMap((run) => run.reconciled.filter((action) => action.recordedHere).map((action) => action.actingId));
  assert.deepEqual(written.sort(), records.map((record) => record.id).sort(), 'each action recorded by exactly one of them');
  assert.equal((await one.audit.list()).filter((record) => record.reconciles).length, records.length);

  await one.runs.advanceBackstopWatermark(minutesAgo(1000));
  assert.deepEqual(await one.runs.backstopWatermark(), new Date(NOW.getTime() - invocationCertainlyOverMs()), 'an earlier watermark does not move it back');
});

test('an event claim outlasts the Functions time limit: a slow invocation keeps its event, a dead one loses it after the limit and its margin', async () => {
  const { events } = await openTestStore(azurite);
  assert.deepEqual(await events.claim('event-slow', NOW), { claimed: true, attempt: 1 });
  const atTheLimit = new Date(NOW.getTime() + functionTimeLimitMs());
  assert.deepEqual(await events.claim('event-slow', atTheLimit), { claimed: false, because: 'in-progress', since: NOW });
  assert.deepEqual(await events.claim('event-slow', new Date(NOW.getTime() + invocationCertainlyOverMs())), { claimed: true, attempt: 2 });
});
