import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asHumanOwner, removals, startFaultHarness, sweep, SUB_CONTOSO_PROD, webhookDeliverer } from './harness.ts';
import { assertInvariants, observe } from './invariants.ts';

const harness = await startFaultHarness('rgstale');
const observed = observe(harness);
const { core } = harness.emulator;
const lag = core.resourceGraphLag;
const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
/** A contractor whose account is deleted for good right after being granted access. */
const CONTRACTOR = 'c0417ac7-0000-4000-8000-0000000000aa';
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

test('Resource Graph still lists an assignment ARM has deleted: the live re-read sees 404, nothing is done to it, and the finding resolves once the index catches up', async () => {
  // The departed user's Reader grant on contoso-prod: an orphan the enforcing bot removes.
  const orphan = harness.faultFree.find((finding) => finding.ruleId === 'orphaned-role-assignment' && finding.principalId === 'de100000-0000-4000-8000-000000000002');
  assert.ok(orphan?.roleAssignmentId && orphan.decision.action === 'remediate', 'the demo orphan is remediable');
  lag.freeze(core.tenant);
  // A person cleans it up first; Resource Graph has not caught up.
  await asHumanOwner(harness).roleAssignments.deleteById(orphan.roleAssignmentId);
  assert.equal(core.tenant.roleAssignment(orphan.roleAssignmentId), undefined, 'ARM no longer has it');

  const lines = await sweep(harness);
  assert.match(lines.join('\n'), /scan done .* gaps=0 /, lines.join('\n'));
  assert.ok(!lines.some((line) => /failed/.test(line)), `no error storm: ${lines.join('\n')}`);
  const audit = (await harness.runtime.state.audit.list()).filter((record) => same(record.target, orphan.roleAssignmentId!));
  assert.deepEqual(audit.map((record) => [record.kind, record.outcome]), [['skipped', 'already-gone']], 'the bot saw it gone and did nothing else');
  assert.ok(!observed.botOperations.some((operation) => same(operation.resourceId, orphan.roleAssignmentId!)), 'the bot made no call to delete it');
  assert.ok(!(await removals(harness)).some((removal) => removal.findingId === orphan.id));

  lag.thaw();
  await sweep(harness);
  assert.equal((await harness.runtime.state.findings.get(orphan.id))?.status, 'resolved', 'the finding resolves when the index shows the assignment gone');
  await assertInvariants(harness, observed);
});

test('ARM has a grant Resource Graph does not list yet: the sweep cannot see it, the event path catches it, and the caught-up sweep does not act again', async () => {
  const lines: string[] = [];
  await harness.emulator.eventGrid.subscribe({
    name: 'idwarden-stale',
    schema: 'EventGridSchema',
    deliver: webhookDeliverer(harness, lines),
    operationNames: ['Microsoft.Authorization/roleAssignments/write'],
    // Delivered after the sweep below, so that the sweep alone is judged first.
    delayMs: 60_000,
  });
  lag.freeze(core.tenant);
  // Below the subscription, where only Resource Graph lists assignments (the sweep reads ARM live only for what is
  // inherited from the subscription and above): a Reader grant to a contractor, whose account is then deleted.
  core.tenant.users.set(CONTRACTOR, { id: CONTRACTOR, displayName: 'Contractor', userPrincipalName: 'contractor@contoso.example' });
  const scope = `/subscriptions/${SUB_CONTOSO_PROD}/resourceGroups/rg-web-prod`;
  const grant = await asHumanOwner(harness).roleAssignments.create(scope, '0fa17000-0000-4000-8000-00000000005a', {
    roleDefinitionId: `/subscriptions/${SUB_CONTOSO_PROD}/providers/Microsoft.Authorization/roleDefinitions/${READER}`,
    principalId: CONTRACTOR,
    principalType: 'User',
  });
  core.tenant.users.delete(CONTRACTOR);
  const isTheGrant = (target: string) => same(target, grant.id!);

  const removalsBefore = (await removals(harness)).length;
  await sweep(harness);
  assert.ok(!(await harness.runtime.state.audit.list()).some((record) => isTheGrant(record.target)), 'the sweep read the lagging index and saw nothing of the grant');

  // Event Grid delivers the write a minute later: the event path reads ARM and the directory live, and removes the orphaned grant.
  await harness.emulator.eventGrid.flush();
  const grantRemovals = (await removals(harness)).filter((removal) => isTheGrant(removal.target));
  assert.deepEqual(grantRemovals.map((removal) => removal.ruleId), ['orphaned-role-assignment'], `the event path removed the grant: ${lines.join('\n')}`);
  assert.equal(core.tenant.roleAssignment(grant.id!), undefined);

  lag.thaw();
  await sweep(harness);
  assert.equal((await removals(harness)).length, removalsBefore + 1, 'the caught-up sweep acts on nothing again');
  await assertInvariants(harness, observed);
});
