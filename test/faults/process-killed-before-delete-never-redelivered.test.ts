import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fireSweepTimer, remediable, removals, runtimeAhead, scanRequestsToPoison, startFaultHarness } from './harness.ts';
import { assertEveryActionHasOutcome, assertInvariants, observe } from './invariants.ts';
import { BotWorkers, killOnRequest, WorkerKilled } from '../support/bot-worker.ts';
import { invocationContext } from '../support/functions-host.ts';
import { invocationCertainlyOverMs } from '../../src/hosting/function-time-limit.ts';
import { installSharedRuntime } from '../../src/runtime/runtime.ts';

const harness = await startFaultHarness('abandonedbefore');
const observed = observe(harness);
const workers = new BotWorkers((runId, outcomes) => observed.alerts.push(...outcomes.map((outcome) => ({ runId, outcome }))));

test('the bot killed after its acting record and before its DELETE reached ARM, the scan message never delivered again: the next sweep past the time limit records the interruption, then removes the assignment once', async () => {
  const { state } = harness.runtime;
  await fireSweepTimer(harness);
  const requests = await scanRequestsToPoison(harness);
  const killed = killOnRequest(harness.emulator, workers, ({ method, route }) => method === 'DELETE' && route === 'arm.roleAssignments.delete');
  await assert.rejects(workers.drainScanQueue(), WorkerKilled);
  const path = await killed;
  await requests.poison();
  const isKept = (target: string) => target.toLowerCase() === path.toLowerCase();
  assert.ok(harness.emulator.core.tenant.roleAssignment(path), 'the dropped DELETE never reached ARM');

  // The next sweep, fired on an instance past the time limit: the timer's backstop reads the assignment in place and
  // records the interruption; the sweep's scans (a fresh worker) then remove it, once.
  const late = invocationCertainlyOverMs() + 60_000;
  installSharedRuntime(await runtimeAhead(late));
  const { context, logs } = invocationContext('sweep');
  await harness.functions.get('sweep')!.handler({ isPastDue: false }, context);
  const timerLines = logs.map((log) => log.message).join('\n');
  assert.match(timerLines, /^backstop reconciled acting=\S+ finding=\S+ outcome=interrupted /m, timerLines);
  assert.match(timerLines, /^backstop done run=sweep-\S+ read=\d+ reconciled=1 failed=0 deferred=0 /m, timerLines);
  workers.clockOffsetMs = late;
  const swept = (await workers.drainScanQueue()).join('\n');
  assert.match(swept, /scan done .* gaps=0 /, swept);

  const trail = (await state.audit.list()).filter((record) => isKept(record.target));
  assert.deepEqual(
    trail.map((record) => `${record.kind} ${record.outcome}`),
    [`decision acting`, `action-failed interrupted`, `decision acting`, `action ${trail[3]?.outcome}`],
    'the abandoned attempt, its outcome from the backstop, then the next sweep acting afresh',
  );
  assert.equal(trail[1]!.reconciles, trail[0]!.id);
  assert.ok(['deleted', 'downscoped'].includes(trail[3]!.outcome));
  assert.match(trail[1]!.reason, /not carried out; the attempt stopped after deciding to act .*; found by the backstop of sweep/);
  assert.deepEqual((await removals(harness)).map((removal) => removal.findingId).sort(), remediable(harness), 'every removal made, and recorded, once');
  const deletes = observed.botOperations.filter((operation) => operation.kind === 'delete').map((operation) => operation.resourceId.toLowerCase());
  assert.equal(new Set(deletes).size, deletes.length, 'no assignment deleted twice');
  await assertEveryActionHasOutcome(harness);
  await assertInvariants(harness, observed);
});
