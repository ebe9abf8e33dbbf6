import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fireSweepTimer, remediable, removals, runtimeAhead, scanRequestsToPoison, startFaultHarness } from './harness.ts';
import { assertEveryActionHasOutcome, assertInvariants, observe } from './invariants.ts';
import { BotWorkers, killAfterOperation, WorkerKilled } from '../support/bot-worker.ts';
import { invocationContext } from '../support/functions-host.ts';
import type { Interceptor } from '../../emulator/faults/faults.ts';
import { openActions } from '../../src/actions/remediate/reconcile.ts';
import { invocationCertainlyOverMs } from '../../src/hosting/function-time-limit.ts';
import { installSharedRuntime } from '../../src/runtime/runtime.ts';
import { closeAbandonedWork } from '../../src/runtime/sweep.ts';

const harness = await startFaultHarness('abandoned');
const observed = observe(harness);
const workers = new BotWorkers((runId, outcomes) => observed.alerts.push(...outcomes.map((outcome) => ({ runId, outcome }))));

/** Holds each live read of `target` until two have arrived: two backstops then really run at once. */
function holdReadsUntilBoth(target: string): void {
  const { interceptors } = harness.emulator.core;
  let arrived = 0;
  let release!: () => void;
  const together = new Promise<void>((resolve) => (release = resolve));
  const hold: Interceptor = async (req) => {
    if (req.method !== 'GET' || req.path.toLowerCase() !== target.toLowerCase()) return undefined;
    arrived += 1;
    if (arrived === 2) {
      interceptors.splice(interceptors.indexOf(hold), 1);
      release();
    }
    await together;
    return undefined;
  };
  interceptors.push(hold);
}

test('the bot killed after ARM carried out its delete, and the scan message never delivered again (poisoned): a later sweep past the Functions time limit records the removal, once, even with two backstops at it', { timeout: 60_000 }, async () => {
  const { state } = harness.runtime;
  const bot = harness.emulator.core.tenant.bot.principalId.toLowerCase();
  await fireSweepTimer(harness);
  const requests = await scanRequestsToPoison(harness);
  assert.ok(requests.count > 0);

  const killed = killAfterOperation(harness.emulator, workers, (operation) => operation.kind === 'delete' && operation.caller.principalId.toLowerCase() === bot);
  await assert.rejects(workers.drainScanQueue(), WorkerKilled);
  const deleted = await killed;
  // The host gave up on the work (its dequeue count ran out, a kill at a time): never delivered again.
  await requests.poison();
  const isDeleted = (target: string) => target.toLowerCase() === deleted.resourceId.toLowerCase();
  const [acting, ...others] = (await state.audit.list()).filter((record) => isDeleted(record.target));
  assert.deepEqual([acting, ...others].map((record) => `${record!.kind} ${record!.outcome}`), ['decision acting'], 'the bot died between its acting record and its outcome');

  // Within the time limit the attempt that wrote it could still be running (a slow one): the backstop leaves it alone.
  const early = await closeAbandonedWork(await runtimeAhead(invocationCertainlyOverMs() - 60_000), 'sweep-early');
  assert.deepEqual(early.reconciled, []);
  assert.ok(early.watermark < acting!.at, 'the watermark stops short of the record, so a later run reads it');
  assert.deepEqual(openActions(await state.audit.list()).map((record) => record.id), [acting!.id]);

  // Past it, two backstops at once (two instances' sweeps), both reading the target before either records anything:
  // the record is closed once, and both report that outcome.
  const late = invocationCertainlyOverMs() + 60_000;
  const instances = [await runtimeAhead(late), await runtimeAhead(late)];
  holdReadsUntilBoth(deleted.resourceId);
  const [first, second] = await Promise.all([closeAbandonedWork(instances[0]!, 'sweep-a'), closeAbandonedWork(instances[1]!, 'sweep-b')]);
  const both = [...first!.reconciled, ...second!.reconciled];
  assert.deepEqual(both.map((action) => action.actingId), [acting!.id, acting!.id]);
  assert.deepEqual(both.map((action) => action.recordedHere).sort(), [false, true], 'one of them wrote the outcome, the other found it');
  assert.equal(both[0]!.auditId, both[1]!.auditId);
  assert.deepEqual(both.map((action) => action.outcome), ['deleted', 'deleted']);

  const closing = (await state.audit.list()).filter((record) => record.reconciles === acting!.id);
  assert.equal(closing.length, 1, 'one record gives the abandoned action its outcome');
  assert.equal(closing[0]!.kind, 'action');
  assert.equal(closing[0]!.findingId, acting!.findingId);
  assert.equal(closing[0]!.runId, acting!.runId, 'recorded under the work it belongs to');
  assert.deepEqual(closing[0]!.priorState, acting!.priorState, 'the prior state is kept, so the removal can be restored');
  assert.match(closing[0]!.reason, /carried out by an attempt that stopped before recording it .*; found by the backstop of sweep sweep-[ab], past the Functions time limit/);

  // The next sweep, through the timer function, on an instance as late: nothing left to reconcile, and its scans (a
  // fresh worker) remove what the dead attempt never reached, so every removal is made, and recorded, once.
  installSharedRuntime(await runtimeAhead(late));
  const { context, logs } = invocationContext('sweep');
  await harness.functions.get('sweep')!.handler({ isPastDue: false }, context);
  const timerLines = logs.map((log) => log.message).join('\n');
  assert.match(timerLines, /^backstop done run=sweep-\S+ read=\d+ reconciled=0 failed=0 deferred=0 /m, timerLines);
  workers.clockOffsetMs = late;
  const swept = (await workers.drainScanQueue()).join('\n');
  assert.match(swept, /scan done .* gaps=0 /, swept);
  assert.equal(workers.started, 2);

  assert.deepEqual((await removals(harness)).map((removal) => removal.findingId).sort(), remediable(harness), 'every removal made, and recorded, once');
  const deletes = observed.botOperations.filter((operation) => operation.kind === 'delete').map((operation) => operation.resourceId.toLowerCase());
  assert.equal(new Set(deletes).size, deletes.length, 'no assignment deleted twice');
  await assertEveryActionHasOutcome(harness);
  await assertInvariants(harness, observed);
});
