import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asHumanOwner, OWNER_ROLE, startFaultHarness, sweep, SUB_CONTOSO_PROD, UAMI_WEB_PROD, webhookDeliverer } from './harness.ts';
import { assertInvariants, observe } from './invariants.ts';

const harness = await startFaultHarness('egone');
const observed = observe(harness);

test('an event arriving after its object is gone: the bot says gone and acts on nothing', async () => {
  const lines: string[] = [];
  await harness.emulator.eventGrid.subscribe({
    name: 'idwarden-faults',
    schema: 'EventGridSchema',
    deliver: webhookDeliverer(harness, lines),
    operationNames: ['Microsoft.Authorization/roleAssignments/write'],
    delayMs: 3_600_000,
  });
  const arm = asHumanOwner(harness);
  const scope = `/subscriptions/${SUB_CONTOSO_PROD}`;
  const owner = await arm.roleAssignments.create(scope, '0fa17000-0000-4000-8000-000000000003', {
    roleDefinitionId: `${scope}/providers/Microsoft.Authorization/roleDefinitions/${OWNER_ROLE}`,
    principalId: UAMI_WEB_PROD,
    principalType: 'ServicePrincipal',
  });
  // The person undoes the grant before Event Grid gets round to it.
  await arm.roleAssignments.deleteById(owner.id!);
  await harness.emulator.eventGrid.flush();

  assert.ok(lines.some((line) => line.startsWith('event gone ') && line.toLowerCase().includes(owner.id!.toLowerCase())), lines.join('\n'));
  assert.deepEqual(observed.botOperations, [], 'the bot made no ARM change');
  const audit = await harness.runtime.state.audit.list();
  assert.equal(audit.filter((record) => record.target.toLowerCase() === owner.id!.toLowerCase()).length, 0, 'nothing was decided about the vanished grant');

  await sweep(harness);
  await assertInvariants(harness, observed);
});
