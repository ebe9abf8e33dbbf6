import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEmulator } from '../support/emulator.ts';
import { useAzurite } from '../support/azurite.ts';
import { openTestStore } from '../support/state.ts';
import { smallTenant } from '../support/seeds.ts';
import { BOT_PRINCIPAL, DELETED_PRINCIPAL, SUB_PROD, UAMI_PRINCIPAL } from '../support/ids.ts';
import { createAzureClients } from '../../src/azure/clients.ts';
import { loadAzureConfig } from '../../src/azure/config.ts';
import { parsePolicy } from '../../src/policy/load.ts';
import { runSweep } from '../../src/pipeline/sweep.ts';
import { RemediationBudget } from '../../src/actions/remediate/budget.ts';
import { remediateRoleAssignment } from '../../src/actions/remediate/role-assignment.ts';
import { restoreFromAudit, RestoreError } from '../../src/actions/remediate/restore.ts';
import type { Finding } from '../../src/model/finding.ts';
import { remediationContexts } from '../support/remediation.ts';

const SOFT_DELETED = 'dead0000-0000-4000-8000-00000000050f';
const base = smallTenant();
const emulator = await useEmulator({
  seed: {
    ...base,
    deletedServicePrincipals: [{ id: SOFT_DELETED, displayName: 'old-app', deletedDateTime: '2026-11-10T00:00:00Z' }],
    roleAssignments: [
      ...(base.roleAssignments ?? []),
      // The bot may remove and create role assignments in prod (its enforce-mode permission).
      { scope: `/subscriptions/${SUB_PROD}`, role: 'Role Based Access Control Administrator', principalId: BOT_PRINCIPAL },
      { scope: `/subscriptions/${SUB_PROD}/resourceGroups/rg-app`, role: 'Reader', principalId: SOFT_DELETED },
    ],
  },
});
const azurite = await useAzurite();
const store = await openTestStore(azurite);
const clients = createAzureClients(loadAzureConfig(emulator.env));
const asOf = new Date('2026-11-20T12:00:00Z');
const tenant = () => emulator.core.tenant;

async function findings(policyText: string): Promise<Finding[]> {
  return (await runSweep(clients, parsePolicy(policyText, 'test'), { asOf })).findings;
}

const context = remediationContexts(clients, store.audit);

const ENFORCE_REMOVE = `version: 1
enforcement: enforce
rules:
  privileged-role-broad-scope: { action: remediate, remediation: remove }
  orphaned-role-assignment: { action: remediate }
`;
const broad = (list: Finding[]) => list.find((f) => f.ruleId === 'privileged-role-broad-scope' && f.principalId === UAMI_PRINCIPAL)!;
const orphan = (list: Finding[], principalId: string) => list.find((f) => f.ruleId === 'orphaned-role-assignment' && f.principalId === principalId)!;

test('dry-run checks everything, changes nothing, and records what it would do with the prior state', async () => {
  const finding = broad(await findings('version: 1\nrules:\n  privileged-role-broad-scope: { action: remediate, remediation: remove }\n'));
  assert.equal(finding.decision.dryRun, true);
  const ctx = context();
  const outcome = await remediateRoleAssignment(finding, ctx);
  assert.equal(outcome.status, 'dry-run');
  assert.ok(tenant().roleAssignment(finding.roleAssignmentId!), 'still there');
  const [record] = await store.audit.list({ runId: ctx.runId });
  assert.equal(record?.outcome, 'would-delete');
  assert.equal((record?.priorState as { id: string }).id.toLowerCase(), finding.roleAssignmentId!.toLowerCase());
});

test('a protected principal, or the circuit breaker, stops a remediation before any call', async () => {
  const finding = broad(await findings(ENFORCE_REMOVE));
  const protectedOutcome = await remediateRoleAssignment(finding, context({ protectedPrincipals: new Set([UAMI_PRINCIPAL]) }));
  assert.deepEqual([protectedOutcome.status, protectedOutcome.reason], ['skipped', `principal ${UAMI_PRINCIPAL} is protected`]);
  const spent = new RemediationBudget(0);
  const breaker = await remediateRoleAssignment(finding, context({ budget: spent }));
  assert.equal(breaker.status, 'skipped');
  assert.equal(spent.tripped, true);
  assert.ok(tenant().roleAssignment(finding.roleAssignmentId!), 'still there');
});

test('a change to the live assignment since detection stops the remediation', async () => {
  const finding = broad(await findings(ENFORCE_REMOVE));
  const stale = { ...finding, roleDefinitionId: '/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635' };
  const outcome = await remediateRoleAssignment(stale, context());
  assert.equal(outcome.status, 'skipped');
  assert.match(outcome.reason, /changed since it was judged: its role is now/);
  assert.ok(tenant().roleAssignment(finding.roleAssignmentId!));
});

test('an orphan is not removed while its principal is soft-deleted, nor when a directory lookup fails', async () => {
  const list = await findings(ENFORCE_REMOVE);
  const softDeleted = list.find((f) => f.ruleId === 'orphaned-role-assignment' && f.principalId === SOFT_DELETED)!;
  assert.notEqual(softDeleted.decision.action, 'remediate', 'the policy layer already refuses');
  const forced = await remediateRoleAssignment({ ...softDeleted, decision: { action: 'remediate', dryRun: false } }, context());
  assert.deepEqual([forced.status, forced.reason], ['skipped', 'the principal is soft-deleted and can still be restored']);

  const gone = orphan(list, DELETED_PRINCIPAL);
  const fault = emulator.core.faults.add({ route: 'graph.directoryObjects.get', response: { status: 503, headers: { 'retry-after': '0' }, body: { error: { code: 'serviceNotAvailable', message: 'down' } } } });
  try {
    const outcome = await remediateRoleAssignment(gone, context());
    assert.equal(outcome.status, 'skipped');
    assert.match(outcome.reason, /a directory lookup failed, so absence is not proven/);
  } finally {
    emulator.core.faults.remove(fault);
  }
  assert.ok(tenant().roleAssignment(gone.roleAssignmentId!));
});

test('enforce removes an orphan and a broad Owner-class assignment, audited before and after, with request ids', async () => {
  const list = await findings(ENFORCE_REMOVE);
  const ctx = context();
  const removedOrphan = await remediateRoleAssignment(orphan(list, DELETED_PRINCIPAL), ctx);
  const removedBroad = await remediateRoleAssignment(broad(list), ctx);
  assert.deepEqual([removedOrphan.status, removedBroad.status], ['done', 'done']);
  assert.equal(tenant().roleAssignment(orphan(list, DELETED_PRINCIPAL).roleAssignmentId!), undefined);
  assert.equal(tenant().roleAssignment(broad(list).roleAssignmentId!), undefined);
  const records = await store.audit.list({ runId: ctx.runId });
  assert.deepEqual(records.map((r) => r.outcome), ['acting', 'deleted', 'acting', 'deleted']);
  assert.ok(records[1]!.requestIds.length >= 2, 'the re-read and the delete');
  const again = await remediateRoleAssignment(broad(list), context());
  assert.equal(again.reason, 'the assignment no longer exists');
});

test('down-scope moves the role to the identity\'s own resource group, then removes the broad one', async () => {
  const assignment = await clients.authorization('00000000-0000-0000-0000-000000000000');
  await assignment.roleAssignments.create(`/subscriptions/${SUB_PROD}`, '5eed0000-0000-4000-8000-000000000001', {
    roleDefinitionId: `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c`,
    principalId: UAMI_PRINCIPAL,
    principalType: 'ServicePrincipal',
  });
  const finding = broad(await findings('version: 1\nenforcement: enforce\nrules:\n  privileged-role-broad-scope: { action: remediate, remediation: downscope }\n'));
  assert.deepEqual((finding.evidence['downscope'] as { proposedScopes: string[] }).proposedScopes, [`/subscriptions/${SUB_PROD}/resourceGroups/rg-app`]);
  const outcome = await remediateRoleAssignment(finding, context());
  assert.equal(outcome.status, 'done', outcome.reason);
  const remaining = [...tenant().roleAssignments.values()].filter((a) => a.principalId === UAMI_PRINCIPAL);
  assert.deepEqual(remaining.map((a) => [a.scope, a.roleDefinitionName]), [[`/subscriptions/${SUB_PROD}/resourceGroups/rg-app`, 'b24988ac-6180-42a0-ab88-20f7382dd24c']]);
});

test('restore re-creates a removed assignment from its audit record, same name, role, scope and principal', async () => {
  const removed = (await store.audit.list()).find((record) => record.outcome === 'deleted' && record.ruleId === 'privileged-role-broad-scope')!;
  const prior = removed.priorState as { id: string; name: string; roleDefinitionId: string };
  assert.equal(tenant().roleAssignment(prior.id), undefined);
  const ctx = { clients, audit: store.audit, actor: BOT_PRINCIPAL, policyHash: 'test-policy', now: () => new Date() };
  const restored = await restoreFromAudit(removed.id, ctx);
  assert.equal(restored.kind, 'restore');
  assert.equal(restored.outcome, 'restored');
  const back = tenant().roleAssignment(prior.id)!;
  assert.equal(back.name, prior.name);
  assert.equal(back.roleDefinitionName, prior.roleDefinitionId.split('/').pop());
  assert.equal(back.principalId, UAMI_PRINCIPAL);
  assert.equal((await restoreFromAudit(removed.id, ctx)).outcome, 'already-present', 'a second restore changes nothing');
  const decision = (await store.audit.list()).find((record) => record.kind === 'decision')!;
  await assert.rejects(restoreFromAudit(decision.id, ctx), RestoreError);
});
