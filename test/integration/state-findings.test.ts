import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TableClient } from '@azure/data-tables';
import { fingerprint } from '../../src/model/finding.ts';
import { coverage, coverageKeysOf } from '../../src/state/coverage.ts';
import { StateStoreError } from '../../src/state/errors.ts';
import { useAzurite } from '../support/azurite.ts';
import { SUB_DEV, SUB_PROD, TENANT_ID, UAMI_ID, UAMI_PRINCIPAL } from '../support/ids.ts';
import { aFinding, minute, openTestStore, rawTable, roleAssignmentId } from '../support/state.ts';

const azurite = await useAzurite();

const sweepOf = (subscriptionId: string, at: Date, runId = `sweep-${at.toISOString()}`) => ({
  source: 'sweep' as const,
  scope: [coverage.subscription(subscriptionId)],
  at,
  runId,
});

test('a run opens what it sees; a later run moves last seen and refreshes the finding, first seen stays', async () => {
  const { findings } = await openTestStore(azurite);
  const first = aFinding({ roleAssignmentId: roleAssignmentId('ra-1') });

  const opened = await findings.upsertFromRun([first], sweepOf(SUB_PROD, minute(0)));
  assert.deepEqual(opened, { opened: [first.id], reopened: [], refreshed: [], resolved: [], stale: [], unannounced: [] });
  const stored = await findings.get(first.id);
  assert.equal(stored?.status, 'open');
  assert.deepEqual([stored?.firstSeen, stored?.lastSeen, stored?.openedAt], [minute(0), minute(0), minute(0)]);
  assert.deepEqual(stored?.finding, first, 'the finding JSON round-trips exactly');
  assert.deepEqual(stored?.coverageKeys, coverageKeysOf(first));

  const escalated = { ...first, severity: 'critical' as const, decision: { action: 'remediate' as const, dryRun: false } };
  const again = await findings.upsertFromRun([escalated], { source: 'event', scope: [coverage.object(escalated.roleAssignmentId!)], at: minute(5) });
  assert.deepEqual(again.refreshed, [first.id]);
  const refreshed = await findings.get(first.id);
  assert.deepEqual([refreshed?.firstSeen, refreshed?.lastSeen, refreshed?.openedAt], [minute(0), minute(5), minute(0)]);
  assert.deepEqual([refreshed?.severity, refreshed?.action, refreshed?.dryRun, refreshed?.lastSource], ['critical', 'remediate', false, 'event']);
  assert.equal(await findings.get('privileged-role-broad-scope:never-seen'), undefined);
});

test("a sweep of one subscription resolves that subscription's findings it did not see, and no other's", async () => {
  const { findings } = await openTestStore(azurite);
  const prodGone = aFinding({ roleAssignmentId: roleAssignmentId('ra-gone') });
  const prodStays = aFinding({ roleAssignmentId: roleAssignmentId('ra-stays') });
  const dev = aFinding({ roleAssignmentId: roleAssignmentId('ra-dev', SUB_DEV), subscriptionId: SUB_DEV });
  await findings.upsertFromRun([prodGone, prodStays, dev], { source: 'sweep', scope: [coverage.subscription(SUB_PROD), coverage.subscription(SUB_DEV)], at: minute(0) });

  const summary = await findings.upsertFromRun([prodStays], sweepOf(SUB_PROD, minute(10), 'sweep-2'));

  assert.deepEqual(summary.resolved, [prodGone.id]);
  const resolved = await findings.get(prodGone.id);
  assert.equal(resolved?.status, 'resolved');
  assert.deepEqual(resolved?.resolvedAt, minute(10));
  assert.deepEqual(resolved?.resolvedBy, { source: 'sweep', runId: 'sweep-2' });
  assert.deepEqual(resolved?.lastSeen, minute(0), 'last seen stays the last time it was seen');
  assert.equal((await findings.get(dev.id))?.status, 'open', 'the other subscription was not swept');
  assert.deepEqual((await findings.listOpen()).map((f) => f.id).sort(), [prodStays.id, dev.id].sort());
});

test("an event about one object resolves only that object's findings", async () => {
  const { findings } = await openTestStore(azurite);
  const deletedAssignment = aFinding({ roleAssignmentId: roleAssignmentId('ra-deleted') });
  const sameSubscription = aFinding({ roleAssignmentId: roleAssignmentId('ra-other') });
  const samePrincipal = aFinding({ ruleId: 'stale-identity', roleAssignmentId: roleAssignmentId('ra-deleted'), id: fingerprint('stale-identity', UAMI_PRINCIPAL) });
  await findings.upsertFromRun([deletedAssignment, sameSubscription, samePrincipal], sweepOf(SUB_PROD, minute(0)));

  // The delete event re-read the assignment (gone) and evaluated the role-assignment rules for it.
  const summary = await findings.upsertFromRun([], {
    source: 'event',
    scope: [coverage.object(roleAssignmentId('ra-deleted').toUpperCase())],
    rules: ['privileged-role-broad-scope', 'orphaned-role-assignment'],
    at: minute(3),
  });

  assert.deepEqual(summary.resolved, [deletedAssignment.id], 'ARM ids match whatever their casing');
  assert.equal((await findings.get(sameSubscription.id))?.status, 'open', 'another object in the same subscription');
  assert.equal((await findings.get(samePrincipal.id))?.status, 'open', 'same object key, but its rule was not evaluated');
});

test('a resolved finding that comes back reopens: a new open period, first seen and ticket kept', async () => {
  const { findings } = await openTestStore(azurite);
  const finding = aFinding({ roleAssignmentId: roleAssignmentId('ra-flapping') });
  await findings.upsertFromRun([finding], sweepOf(SUB_PROD, minute(0)));
  await findings.setTicket(finding.id, { system: 'github', id: '42', url: 'https://github.com/o/r/issues/42' });
  await findings.upsertFromRun([], sweepOf(SUB_PROD, minute(10)));

  const summary = await findings.upsertFromRun([finding], sweepOf(SUB_PROD, minute(20)));

  assert.deepEqual(summary.reopened, [finding.id]);
  const reopened = await findings.get(finding.id);
  assert.equal(reopened?.status, 'open');
  assert.deepEqual([reopened?.firstSeen, reopened?.openedAt, reopened?.lastSeen], [minute(0), minute(20), minute(20)]);
  assert.equal(reopened?.resolvedAt, undefined);
  assert.deepEqual(reopened?.ticket, { system: 'github', id: '42', url: 'https://github.com/o/r/issues/42' });
});

test('a slow run that finishes after a newer one neither resolves nor rewinds what the newer one saw', async () => {
  const { findings } = await openTestStore(azurite);
  const seenByNewer = aFinding({ roleAssignmentId: roleAssignmentId('ra-newer') });
  const resolvedByNewer = aFinding({ roleAssignmentId: roleAssignmentId('ra-resolved') });
  await findings.upsertFromRun([seenByNewer, resolvedByNewer], sweepOf(SUB_PROD, minute(0)));
  await findings.upsertFromRun([seenByNewer], sweepOf(SUB_PROD, minute(20)));

  // Started at minute 10, before the newer sweep, but finished after it.
  const slow = await findings.upsertFromRun([resolvedByNewer], sweepOf(SUB_PROD, minute(10)));

  assert.deepEqual(slow, { opened: [], reopened: [], refreshed: [], resolved: [], stale: [resolvedByNewer.id], unannounced: [] });
  const newer = await findings.get(seenByNewer.id);
  assert.deepEqual([newer?.status, newer?.lastSeen], ['open', minute(20)]);
  const stillResolved = await findings.get(resolvedByNewer.id);
  assert.deepEqual([stillResolved?.status, stillResolved?.resolvedAt], ['resolved', minute(20)]);
});

test('exemptions: from the policy decision, or granted until they expire; an exempted finding still resolves when gone', async () => {
  const { findings } = await openTestStore(azurite);
  const byPolicy = aFinding({
    roleAssignmentId: roleAssignmentId('ra-policy-exempt'),
    decision: { action: 'report', dryRun: true, exemption: { reason: 'break-glass', approvedBy: 'secops', expires: null } },
  });
  const granted = aFinding({ roleAssignmentId: roleAssignmentId('ra-granted') });
  await findings.upsertFromRun([byPolicy, granted], sweepOf(SUB_PROD, minute(0)));
  assert.equal((await findings.get(byPolicy.id))?.status, 'exempted');

  const grant = { reason: 'migration window', approvedBy: 'alice@contoso.com', expires: minute(30).toISOString() };
  const marked = await findings.markExempted(granted.id, grant, minute(1));
  assert.equal(marked.status, 'exempted');
  assert.deepEqual(marked.exemption, { ...grant, grantedAt: minute(1) });
  assert.deepEqual((await findings.listOpen()).map((f) => f.id), [], 'exempted findings are not open');

  await findings.upsertFromRun([byPolicy, granted], sweepOf(SUB_PROD, minute(20)));
  assert.equal((await findings.get(granted.id))?.status, 'exempted', 'still within the grant');
  await findings.upsertFromRun([byPolicy, granted], sweepOf(SUB_PROD, minute(40)));
  assert.equal((await findings.get(granted.id))?.status, 'open', 'the grant expired at minute 30');

  const gone = await findings.upsertFromRun([granted], sweepOf(SUB_PROD, minute(50)));
  assert.deepEqual(gone.resolved, [byPolicy.id]);
});

test('ticket and last notification: stored with the finding; notification time only moves forward; unknown ids are errors', async () => {
  const { findings } = await openTestStore(azurite);
  const finding = aFinding({ roleAssignmentId: roleAssignmentId('ra-notify') });
  await findings.upsertFromRun([finding], sweepOf(SUB_PROD, minute(0)));

  await findings.setTicket(finding.id, { system: 'servicenow', id: 'INC0001' });
  await findings.setLastNotified(finding.id, minute(5));
  const older = await findings.setLastNotified(finding.id, minute(2));
  assert.deepEqual(older.lastNotifiedAt, minute(5));
  await findings.upsertFromRun([finding], sweepOf(SUB_PROD, minute(10)));
  const stored = await findings.get(finding.id);
  assert.deepEqual(stored?.ticket, { system: 'servicenow', id: 'INC0001' }, 'a run keeps the ticket');
  assert.deepEqual(stored?.lastNotifiedAt, minute(5), 'a run keeps the notification time');

  await assert.rejects(findings.setTicket('no-such-finding', { system: 'github', id: '1' }), (error: unknown) => {
    assert.ok(error instanceof StateStoreError);
    assert.equal(error.code, 'ResourceNotFound');
    assert.equal(error.operation, 'setTicket');
    assert.match(error.table, /Findings$/);
    return true;
  });
});

test('concurrent writers on one finding lose nothing: a run, a ticket and a notification at once', async () => {
  const { findings } = await openTestStore(azurite);
  const finding = aFinding({ roleAssignmentId: roleAssignmentId('ra-race') });
  await findings.upsertFromRun([finding], sweepOf(SUB_PROD, minute(0)));

  await Promise.all([
    findings.upsertFromRun([finding], sweepOf(SUB_PROD, minute(10))),
    findings.setTicket(finding.id, { system: 'github', id: '7' }),
    findings.setLastNotified(finding.id, minute(9)),
    findings.upsertFromRun([finding], { source: 'event', scope: [coverage.object(finding.roleAssignmentId!)], at: minute(8) }),
  ]);

  const stored = await findings.get(finding.id);
  assert.deepEqual(stored?.lastSeen, minute(10));
  assert.deepEqual(stored?.ticket, { system: 'github', id: '7' });
  assert.deepEqual(stored?.lastNotifiedAt, minute(9));
});

test('a run that sees a finding and an older run that covers it without seeing it, racing: the finding stays open', async () => {
  const { findings } = await openTestStore(azurite);
  const racing = Array.from({ length: 10 }, (_, n) => aFinding({ roleAssignmentId: roleAssignmentId(`ra-contested-${n}`) }));
  await findings.upsertFromRun(racing, sweepOf(SUB_PROD, minute(0)));

  await Promise.all([findings.upsertFromRun([], sweepOf(SUB_PROD, minute(10))), findings.upsertFromRun(racing, sweepOf(SUB_PROD, minute(11)))]);

  for (const finding of racing) {
    const stored = await findings.get(finding.id);
    assert.deepEqual([stored?.status, stored?.lastSeen], ['open', minute(11)], finding.id);
  }
});

test('large evidence is split over properties within Table limits; evidence too large even so is left out, largest first, and flagged', async () => {
  const store = await openTestStore(azurite);
  const roleAssignments = Array.from({ length: 1000 }, (_, n) => ({ id: roleAssignmentId(`ra-${n}`), note: 'é'.repeat(20) + '😀' }));
  const large = aFinding({ roleAssignmentId: roleAssignmentId('ra-large'), evidence: { roleAssignments } });
  const huge = aFinding({
    roleAssignmentId: roleAssignmentId('ra-huge'),
    evidence: { small: 'kept', big: 'x'.repeat(300_000), bigger: 'y'.repeat(400_000) },
  });
  await store.findings.upsertFromRun([large, huge], sweepOf(SUB_PROD, minute(0)));

  const storedLarge = await store.findings.get(large.id);
  assert.deepEqual(storedLarge?.finding, large, 'split and joined without losing a character (surrogate pairs included)');
  assert.equal(storedLarge?.evidenceOmitted, undefined);
  const raw = rawTable(azurite, store, 'Findings');
  const entity = await raw.getEntity<Record<string, unknown>>(await rawKey(raw, large.id), '');
  assert.ok((entity['finding_parts'] as number) > 1, 'stored in several properties');
  for (const [name, value] of Object.entries(entity)) {
    if (typeof value === 'string') assert.ok(value.length <= 32_768, `${name} holds ${value.length} UTF-16 units`);
  }

  const storedHuge = await store.findings.get(huge.id);
  assert.deepEqual(storedHuge?.evidenceOmitted, ['bigger']);
  assert.deepEqual(storedHuge?.finding.evidence, { small: 'kept', big: 'x'.repeat(300_000) });
  await store.findings.setTicket(huge.id, { system: 'github', id: '9' });
  assert.deepEqual((await store.findings.get(huge.id))?.evidenceOmitted, ['bigger'], 'the flag survives later writes');
});

test('findings without a subscription are covered by their tenant and objects', async () => {
  const { findings } = await openTestStore(azurite);
  const graphGrant = aFinding({
    ruleId: 'privileged-graph-app-role',
    id: fingerprint('privileged-graph-app-role', UAMI_PRINCIPAL, 'RoleManagement.ReadWrite.Directory'),
    severity: 'critical',
    subscriptionId: undefined,
    scope: undefined,
    identityResourceId: UAMI_ID,
    graphPermission: 'RoleManagement.ReadWrite.Directory',
  });
  assert.deepEqual(coverageKeysOf(graphGrant), [coverage.tenant(TENANT_ID), coverage.object(UAMI_PRINCIPAL), coverage.object(UAMI_ID)]);
  await findings.upsertFromRun([graphGrant], { source: 'sweep', scope: [coverage.tenant(TENANT_ID)], at: minute(0) });

  const subscriptionSweep = await findings.upsertFromRun([], sweepOf(SUB_PROD, minute(5)));
  assert.deepEqual(subscriptionSweep.resolved, []);
  const tenantSweep = await findings.upsertFromRun([], { source: 'sweep', scope: [coverage.tenant(TENANT_ID)], at: minute(10) });
  assert.deepEqual(tenantSweep.resolved, [graphGrant.id]);
});

/** The PartitionKey the store used for a finding id, found by its `findingId` property. */
async function rawKey(raw: TableClient, findingId: string): Promise<string> {
  for await (const entity of raw.listEntities<{ findingId: string }>()) if (entity.findingId === findingId) return entity.partitionKey!;
  throw new Error(`no entity for ${findingId}`);
}

test('a refreshed finding never notified since it opened is owed an alert; once notified, it is not', async () => {
  const { findings } = await openTestStore(azurite);
  const finding = aFinding({ roleAssignmentId: roleAssignmentId('ra-owed') });
  await findings.upsertFromRun([finding], sweepOf(SUB_PROD, minute(0)));
  const again = await findings.upsertFromRun([finding], sweepOf(SUB_PROD, minute(5)));
  assert.deepEqual(again.unannounced, [{ id: finding.id, openedAt: minute(0) }]);
  await findings.setLastNotified(finding.id, minute(6));
  const announced = await findings.upsertFromRun([finding], sweepOf(SUB_PROD, minute(7)));
  assert.deepEqual([announced.refreshed, announced.unannounced], [[finding.id], []]);
});
