import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asHumanOwner, fireSweepTimer, OWNER_ROLE, removals, startFaultHarness, SUB_CONTOSO_PROD, UAMI_WEB_PROD } from './harness.ts';
import { assertAlertedOnce, assertEveryActionHasOutcome, assertInvariants, observe } from './invariants.ts';
import { invocationCertainlyOverMs } from '../../src/hosting/function-time-limit.ts';
import { BotWorkers, killOnRequest } from '../support/bot-worker.ts';

const harness = await startFaultHarness('killbeforedel');
const observed = observe(harness);
const workers = new BotWorkers((runId, outcomes) => observed.alerts.push(...outcomes.map((outcome) => ({ runId, outcome }))));
/**
 * A minute past the event ledger's claim lease (the Functions time limit and its margin, 12 min with host.json's
 * 10 min): Event Grid's retries reach it within their schedule (10 s, 30 s, 1 min, 5 min, 10 min, 30 min, ...).
 */
const AFTER_THE_CLAIM_LEASE_MS = invocationCertainlyOverMs() + 60_000;

test('the bot process killed after its acting record and before its DELETE reached ARM: Event Grid redelivers, the interruption is on record, and the grant is down-scoped once', async () => {
  const { state } = harness.runtime;
  const lines: string[] = [];
  await harness.emulator.eventGrid.subscribe({
    name: 'idwarden-killed',
    schema: 'EventGridSchema',
    deliver: (body, headers) => workers.deliverEvents(body, headers, lines),
    retryDelayMs: 50,
  });
  await workers.ready();
  // Workers the host starts after this one begin once the dead one's claim has lapsed.
  workers.clockOffsetMs = AFTER_THE_CLAIM_LEASE_MS;

  // A person grants a managed identity Owner on the whole subscription: the policy down-scopes it to its resource group.
  const scope = `/subscriptions/${SUB_CONTOSO_PROD}`;
  const owner = await asHumanOwner(harness).roleAssignments.create(scope, '0fa17000-0000-4000-8000-0000000000a1', {
    roleDefinitionId: `${scope}/providers/Microsoft.Authorization/roleDefinitions/${OWNER_ROLE}`,
    principalId: UAMI_WEB_PROD,
    principalType: 'ServicePrincipal',
  });
  const isOwnerGrant = (target: string) => target.toLowerCase() === owner.id!.toLowerCase();
  const killed = killOnRequest(harness.emulator, workers, ({ method, route, path }) => method === 'DELETE' && route === 'arm.roleAssignments.delete' && isOwnerGrant(path));
  await harness.emulator.eventGrid.flush();
  await killed;
  // The retries, and the events of the bot's own writes, until nothing is left to deliver.
  await harness.emulator.eventGrid.flush();

  assert.equal(workers.started, 2, 'the host started a fresh worker after the kill');
  const deliveries = harness.emulator.eventGrid.deliveries.filter((delivery) => delivery.subscriptionName === 'idwarden-killed');
  assert.ok(deliveries.some((delivery) => delivery.status === undefined && delivery.deliveryCount === 0), 'the first delivery got no answer');
  assert.deepEqual(harness.emulator.eventGrid.deadLetters, []);

  const trail = (await state.audit.list()).filter((record) => isOwnerGrant(record.target));
  assert.deepEqual(
    trail.map((record) => `${record.kind} ${record.outcome}`),
    ['decision acting', 'action-failed interrupted', 'decision acting', 'action downscoped'],
    'the interrupted attempt, its outcome, then the redelivery acting afresh',
  );
  assert.equal(trail[1]!.reconciles, trail[0]!.id);
  assert.match(trail[1]!.reason, /not carried out; the attempt stopped after deciding to act/);
  assert.equal(harness.emulator.core.tenant.roleAssignment(owner.id!), undefined, 'the broad Owner grant is gone');
  const deletes = observed.botOperations.filter((operation) => operation.kind === 'delete' && isOwnerGrant(operation.resourceId));
  assert.equal(deletes.length, 1, 'deleted once: the dropped DELETE never reached ARM');
  const findingId = trail[0]!.findingId!;

  // The next sweep, in the fresh worker: nothing about the grant is done again, and the demo's own findings are handled once.
  await fireSweepTimer(harness);
  const swept = await workers.drainScanQueue();
  assert.match(swept.join('\n'), /scan done .* gaps=0 /, swept.join('\n'));
  assert.equal((await removals(harness)).filter((removal) => isOwnerGrant(removal.target)).length, 1, 'one removal of the grant, ever');
  assertAlertedOnce(harness, observed, [findingId]);
  await assertEveryActionHasOutcome(harness);
  await assertInvariants(harness, observed);
});
