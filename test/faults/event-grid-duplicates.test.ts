import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asHumanOwner, OWNER_ROLE, removals, startFaultHarness, sweep, SUB_CONTOSO_PROD, UAMI_WEB_PROD, webhookDeliverer } from './harness.ts';
import { assertInvariants, observe } from './invariants.ts';

const harness = await startFaultHarness('egdup');
const observed = observe(harness);

test('Event Grid delivering every event twice, late and out of order: an Owner grant is removed exactly once, and the next sweep does not act on it again', async () => {
  const lines: string[] = [];
  await harness.emulator.eventGrid.subscribe({
    name: 'idwarden-faults',
    schema: 'EventGridSchema',
    deliver: webhookDeliverer(harness, lines),
    duplicateProbability: 1,
    reorderWindowMs: 60_000,
    delayMs: 3_600_000,
    randomSeed: 11,
  });
  const arm = asHumanOwner(harness);
  const scope = `/subscriptions/${SUB_CONTOSO_PROD}`;
  const owner = await arm.roleAssignments.create(scope, '0fa17000-0000-4000-8000-000000000001', {
    roleDefinitionId: `${scope}/providers/Microsoft.Authorization/roleDefinitions/${OWNER_ROLE}`,
    principalId: UAMI_WEB_PROD,
    principalType: 'ServicePrincipal',
  });
  // A harmless grant in the same window gives the reordering something to reorder.
  await arm.roleAssignments.create(`${scope}/resourceGroups/rg-web-prod`, '0fa17000-0000-4000-8000-000000000002', {
    roleDefinitionId: `${scope}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7`,
    principalId: UAMI_WEB_PROD,
    principalType: 'ServicePrincipal',
  });
  // The hour-late deliveries (and then the bot's own down-scope events) go out now.
  await harness.emulator.eventGrid.flush();
  await harness.emulator.eventGrid.flush();

  const delivered = harness.emulator.eventGrid.deliveries.flatMap((delivery) => delivery.eventIds);
  assert.ok(delivered.length > new Set(delivered).size, 'events were delivered more than once');
  assert.ok(lines.some((line) => /^event duplicate /.test(line)), lines.join('\n'));
  const isOwnerGrant = (target: string) => target.toLowerCase() === owner.id!.toLowerCase();
  assert.equal((await removals(harness)).filter((removal) => isOwnerGrant(removal.target)).length, 1, 'exactly one removal');
  assert.equal(harness.emulator.core.tenant.roleAssignment(owner.id!), undefined, 'the broad Owner grant is gone');

  await sweep(harness);
  assert.equal((await removals(harness)).filter((removal) => isOwnerGrant(removal.target)).length, 1, 'the sweep did not act on it again');
  await assertInvariants(harness, observed);
});
