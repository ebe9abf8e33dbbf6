import assert from 'node:assert/strict';
import { asHumanOwner, fireSweepTimer, OWNER_ROLE, removals, startFaultHarness, SUB_CONTOSO_PROD, UAMI_WEB_PROD, type FaultHarness } from './harness.ts';
import { assertAlertedOnce, assertEveryActionHasOutcome, assertInvariants, observe, type Observations } from './invariants.ts';
import { invocationCertainlyOverMs } from '../../src/hosting/function-time-limit.ts';
import { BotWorkers } from '../support/bot-worker.ts';

/**
 * A minute past the event ledger's claim lease (the Functions time limit and its margin, 12 min with host.json's
 * 10 min): Event Grid's retries reach it within their schedule (10 s, 30 s, 1 min, 5 min, 10 min, 30 min, ...).
 */
const AFTER_THE_CLAIM_LEASE_MS = invocationCertainlyOverMs() + 60_000;

export interface KilledEventDownscope {
  harness: FaultHarness;
  observed: Observations;
  workers: BotWorkers;
  /** The broad Owner grant the person made, which the event path down-scopes. */
  ownerGrantId: string;
  isOwnerGrant: (target: string) => boolean;
}

/**
 * The world of a bot process killed around an event-driven down-scope: the bot runs in worker processes fed by the
 * emulator's Event Grid; a person grants a managed identity Owner on the whole subscription (the enforce policy
 * down-scopes it to its resource group); `armKill` sets the moment the worker dies; Event Grid then delivers until
 * nothing is left, to a fresh worker whose clock is past the dead one's claim lease.
 */
export async function killAroundEventDownscope(
  name: string,
  assignmentName: string,
  armKill: (world: Omit<KilledEventDownscope, 'ownerGrantId'>) => Promise<unknown>,
): Promise<KilledEventDownscope> {
  const harness = await startFaultHarness(name);
  const observed = observe(harness);
  const workers = new BotWorkers((runId, outcomes) => observed.alerts.push(...outcomes.map((outcome) => ({ runId, outcome }))));
  const lines: string[] = [];
  await harness.emulator.eventGrid.subscribe({ name: 'idwarden-killed', schema: 'EventGridSchema', deliver: (body, headers) => workers.deliverEvents(body, headers, lines), retryDelayMs: 50 });
  await workers.ready();
  // Workers the host starts after this one begin once the dead one's claim has lapsed.
  workers.clockOffsetMs = AFTER_THE_CLAIM_LEASE_MS;

  const scope = `/subscriptions/${SUB_CONTOSO_PROD}`;
  const owner = await asHumanOwner(harness).roleAssignments.create(scope, assignmentName, {
    roleDefinitionId: `${scope}/providers/Microsoft.Authorization/roleDefinitions/${OWNER_ROLE}`,
    principalId: UAMI_WEB_PROD,
    principalType: 'ServicePrincipal',
  });
  const isOwnerGrant = (target: string) => target.toLowerCase() === owner.id!.toLowerCase();
  const killed = armKill({ harness, observed, workers, isOwnerGrant });
  await harness.emulator.eventGrid.flush();
  await killed;
  // The retries, and the events of the bot's own writes, until nothing is left to deliver.
  await harness.emulator.eventGrid.flush();
  assert.equal(workers.started, 2, 'the host started a fresh worker after the kill');
  assert.deepEqual(harness.emulator.eventGrid.deadLetters, []);
  return { harness, observed, workers, ownerGrantId: owner.id!, isOwnerGrant };
}

/** The next sweep, in the fresh worker: nothing about the grant is done again, the finding was alerted once, and the invariants hold. */
export async function assertSweptAfterwards(world: KilledEventDownscope, findingId: string): Promise<void> {
  const { harness, observed, workers, isOwnerGrant } = world;
  await fireSweepTimer(harness);
  const swept = await workers.drainScanQueue();
  assert.match(swept.join('\n'), /scan done .* gaps=0 /, swept.join('\n'));
  assert.equal((await removals(harness)).filter((removal) => isOwnerGrant(removal.target)).length, 1, 'one removal of the grant, ever');
  assertAlertedOnce(harness, observed, [findingId]);
  await assertEveryActionHasOutcome(harness);
  await assertInvariants(harness, observed);
}
