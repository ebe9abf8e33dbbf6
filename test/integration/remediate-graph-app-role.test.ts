import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, tokenFor, useEmulator } from '../support/emulator.ts';
import { useAzurite } from '../support/azurite.ts';
import { openTestStore } from '../support/state.ts';
import { smallTenant } from '../support/seeds.ts';
import { botGrants, withBotGrants } from '../support/bot-grants.ts';
import { APP_PRINCIPAL, BOT_PRINCIPAL, MG_PROD, UAMI_PRINCIPAL } from '../support/ids.ts';
import { createAzureClients } from '../../src/azure/clients.ts';
import { loadAzureConfig } from '../../src/azure/config.ts';
import { parsePolicy } from '../../src/policy/load.ts';
import { runSweep } from '../../src/pipeline/sweep.ts';
import { RemediationBudget } from '../../src/actions/remediate/budget.ts';
import { remediateGraphAppRole } from '../../src/actions/remediate/graph-app-role.ts';
import { restoreFromAudit, RestoreError } from '../../src/actions/remediate/restore.ts';
import type { Finding } from '../../src/model/finding.ts';
import { remediationContexts, loggedRoutes } from '../support/remediation.ts';

const base = smallTenant();
const emulator = await useEmulator({
  seed: withBotGrants(
    {
      ...base,
      appRoleAssignments: [
        ...(base.appRoleAssignments ?? []),
        { principalId: UAMI_PRINCIPAL, permission: 'RoleManagement.ReadWrite.Directory' },
        { principalId: UAMI_PRINCIPAL, permission: 'Application.ReadWrite.All' },
        { principalId: UAMI_PRINCIPAL, permission: 'Directory.ReadWrite.All' },
      ],
    },
    // A deployment that opted in to Graph app-role remediation: Directory.Read.All and AppRoleAssignment.ReadWrite.All.
    botGrants({ principalId: BOT_PRINCIPAL, targetScopes: [`/providers/Microsoft.Management/managementGroups/${MG_PROD}`], flags: { enableGraphAppRoleRemediation: true } }),
  ),
});
const azurite = await useAzurite();
const store = await openTestStore(azurite);
const clients = createAzureClients(loadAzureConfig(emulator.env));
const asOf = new Date('2026-11-20T12:00:00Z');
const tenant = () => emulator.core.tenant;
const appRoleId = (permission: string) => tenant().microsoftGraph.appRoles.find((role) => role.value === permission)!.id;
const holds = (principalId: string, permission: string) => tenant().appRoleAssignmentsOf(principalId).some((grant) => grant.appRoleId === appRoleId(permission));

const ENFORCE = 'version: 1\nenforcement: enforce\nrules:\n  privileged-graph-app-role: { action: remediate }\n';
const DRY_RUN = 'version: 1\nrules:\n  privileged-graph-app-role: { action: remediate }\n';

async function findings(policyText: string): Promise<Finding[]> {
  return (await runSweep(clients, parsePolicy(policyText, 'test'), { asOf })).findings.filter((finding) => finding.ruleId === 'privileged-graph-app-role');
}
const grantOf = (list: Finding[], principalId: string, permission: string) => {
  const found = list.find((finding) => finding.principalId === principalId && finding.graphPermission === permission);
  assert.ok(found, `a finding for ${permission} held by ${principalId}`);
  return found;
};

const context = remediationContexts(clients, store.audit);
const routesOf = (requestIds: readonly string[]) => loggedRoutes(emulator, requestIds);

test('the emulator grants an app role as Graph does: 201 with the grant, 400 for a duplicate or an unknown role, 403 without AppRoleAssignment.ReadWrite.All', async () => {
  const graph = 'https://graph.microsoft.com';
  const path = `/v1.0/servicePrincipals/${APP_PRINCIPAL}/appRoleAssignments`;
  const body = { principalId: APP_PRINCIPAL, resourceId: tenant().microsoftGraph.id, appRoleId: appRoleId('User.Read.All') };
  const bot = tokenFor(emulator, BOT_PRINCIPAL, graph);
  const created = await call(emulator, 'POST', path, { token: bot, body });
  assert.equal(created.status, 201);
  assert.equal(created.body['@odata.context'], `${emulator.baseUrl}/v1.0/$metadata#appRoleAssignments/$entity`);
  assert.deepEqual(
    { principalId: created.body.principalId, principalType: created.body.principalType, resourceId: created.body.resourceId, appRoleId: created.body.appRoleId, resourceDisplayName: created.body.resourceDisplayName },
    { ...body, principalType: 'ServicePrincipal', resourceDisplayName: 'Microsoft Graph' },
  );
  assert.match(created.body.id, /^[A-Za-z0-9_-]+$/, 'an opaque base64url id');
  const duplicate = await call(emulator, 'POST', path, { token: bot, body });
  assert.deepEqual([duplicate.status, duplicate.body.error.code, duplicate.body.error.message], [400, 'Request_BadRequest', 'Permission being assigned already exists on the object.']);
  const unknownRole = await call(emulator, 'POST', path, { token: bot, body: { ...body, appRoleId: '00000000-0000-4000-8000-000000000000' } });
  assert.deepEqual([unknownRole.status, unknownRole.body.error.code], [400, 'Request_BadRequest']);
  const unprivileged = await call(emulator, 'POST', path, { token: tokenFor(emulator, APP_PRINCIPAL, graph), body: { ...body, appRoleId: appRoleId('Group.Read.All') } });
  assert.deepEqual([unprivileged.status, unprivileged.body.error.code], [403, 'Authorization_RequestDenied']);
  tenant().revokeAppRole(created.body.id);
});

test('remediation is opt-in: the rule tickets by default, and the policy may choose remediate', async () => {
  assert.equal(parsePolicy('version: 1\n', 'test').policy.rules['privileged-graph-app-role']?.action, 'ticket');
  const list = await findings(ENFORCE);
  assert.equal(grantOf(list, UAMI_PRINCIPAL, 'RoleManagement.ReadWrite.Directory').decision.action, 'remediate');
  assert.equal(grantOf(list, BOT_PRINCIPAL, 'AppRoleAssignment.ReadWrite.All').decision.action, 'alert', "the bot's own permission is reported, never removed");
});

test('dry-run checks everything, removes nothing, and records the grant as it is', async () => {
  const finding = grantOf(await findings(DRY_RUN), UAMI_PRINCIPAL, 'Application.ReadWrite.All');
  assert.equal(finding.decision.dryRun, true);
  const ctx = context();
  const outcome = await remediateGraphAppRole(finding, ctx);
  assert.equal(outcome.status, 'dry-run', outcome.reason);
  assert.ok(holds(UAMI_PRINCIPAL, 'Application.ReadWrite.All'));
  const [record] = await store.audit.list({ runId: ctx.runId });
  assert.equal(record?.outcome, 'would-delete');
  assert.equal(record?.target, `/servicePrincipals/${UAMI_PRINCIPAL}/appRoleAssignments/${finding.appRoleAssignmentId}`);
  assert.deepEqual(record?.priorState, {
    id: finding.appRoleAssignmentId,
    deletedDateTime: null,
    appRoleId: appRoleId('Application.ReadWrite.All'),
    createdDateTime: (record?.priorState as { createdDateTime: string }).createdDateTime,
    principalDisplayName: 'uami-app',
    principalId: UAMI_PRINCIPAL,
    principalType: 'ServicePrincipal',
    resourceDisplayName: 'Microsoft Graph',
    resourceId: tenant().microsoftGraph.id,
  });
  assert.deepEqual(routesOf(record!.requestIds), ['graph.servicePrincipals.appRoleAssignments.list']);
});

test('a protected principal, the bot itself and the circuit breaker stop the removal before any call', async () => {
  const list = await findings(ENFORCE);
  const finding = grantOf(list, UAMI_PRINCIPAL, 'Application.ReadWrite.All');
  const before = emulator.core.requests.total();
  const protectedOutcome = await remediateGraphAppRole(finding, context({ protectedPrincipals: new Set([UAMI_PRINCIPAL]) }));
  assert.deepEqual([protectedOutcome.status, protectedOutcome.reason], ['skipped', `principal ${UAMI_PRINCIPAL} is protected`]);
  const own = grantOf(list, BOT_PRINCIPAL, 'AppRoleAssignment.ReadWrite.All');
  const forced = await remediateGraphAppRole({ ...own, decision: { action: 'remediate', dryRun: false } }, context());
  assert.deepEqual([forced.status, forced.reason], ['skipped', `principal ${BOT_PRINCIPAL} is protected`]);
  const spent = new RemediationBudget(0);
  const breaker = await remediateGraphAppRole(finding, context({ budget: spent }));
  assert.deepEqual([breaker.status, breaker.reason], ['skipped', 'the run reached its limit of 0 remediations']);
  assert.equal(spent.tripped, true);
  assert.equal(emulator.core.requests.total(), before, 'no call was made');
  assert.ok(holds(UAMI_PRINCIPAL, 'Application.ReadWrite.All') && holds(BOT_PRINCIPAL, 'AppRoleAssignment.ReadWrite.All'));
});

test('a grant that no longer matches the finding is left alone', async () => {
  const finding = grantOf(await findings(ENFORCE), UAMI_PRINCIPAL, 'Application.ReadWrite.All');
  const stale = { ...finding, evidence: { ...finding.evidence, appRoleId: appRoleId('Directory.ReadWrite.All') } };
  const outcome = await remediateGraphAppRole(stale, context());
  assert.deepEqual([outcome.status, outcome.reason], ['skipped', `the app-role assignment changed since it was judged: its app role is now ${appRoleId('Application.ReadWrite.All')}`]);
  assert.ok(holds(UAMI_PRINCIPAL, 'Application.ReadWrite.All'));
});

test('enforce removes the grant, audited before and after with request ids; again it is already gone', async () => {
  const finding = grantOf(await findings(ENFORCE), UAMI_PRINCIPAL, 'RoleManagement.ReadWrite.Directory');
  const ctx = context();
  const outcome = await remediateGraphAppRole(finding, ctx);
  assert.equal(outcome.status, 'done', outcome.reason);
  assert.equal(holds(UAMI_PRINCIPAL, 'RoleManagement.ReadWrite.Directory'), false);
  const records = await store.audit.list({ runId: ctx.runId });
  assert.deepEqual(records.map((record) => [record.kind, record.outcome]), [['decision', 'acting'], ['action', 'deleted']]);
  assert.equal((records[0]!.priorState as { appRoleId: string }).appRoleId, appRoleId('RoleManagement.ReadWrite.Directory'), 'the grant is on record before the delete');
  assert.deepEqual(routesOf(records[1]!.requestIds), ['graph.servicePrincipals.appRoleAssignments.list', 'graph.servicePrincipals.appRoleAssignments.delete']);
  const again = await remediateGraphAppRole(finding, context());
  assert.deepEqual([again.status, again.reason], ['done', 'the app-role assignment no longer exists']);
});

test('idwarden restore grants the removed app role again, once', async () => {
  const removed = (await store.audit.list()).find((record) => record.kind === 'action' && record.action === 'delete-graph-app-role-assignment');
  assert.ok(removed);
  const ctx = { clients, audit: store.audit, actor: BOT_PRINCIPAL, policyHash: 'test-policy', now: () => new Date() };
  const restored = await restoreFromAudit(removed.id, ctx);
  assert.deepEqual([restored.kind, restored.action, restored.outcome], ['restore', 'restore-graph-app-role-assignment', 'restored']);
  assert.ok(holds(UAMI_PRINCIPAL, 'RoleManagement.ReadWrite.Directory'));
  assert.ok(routesOf(restored.requestIds).includes('graph.servicePrincipals.appRoleAssignments.create'));
  assert.equal((await restoreFromAudit(removed.id, ctx)).outcome, 'already-present', 'a second restore grants nothing');
  assert.equal(tenant().appRoleAssignmentsOf(UAMI_PRINCIPAL).filter((grant) => grant.appRoleId === appRoleId('RoleManagement.ReadWrite.Directory')).length, 1);
  const decision = (await store.audit.list()).find((record) => record.action === 'delete-graph-app-role-assignment' && record.kind === 'decision')!;
  await assert.rejects(restoreFromAudit(decision.id, ctx), RestoreError, 'a decision removed nothing');
});

test('a failed lookup or a refused delete leaves the grant and says why, never throws', async () => {
  const finding = grantOf(await findings(ENFORCE), UAMI_PRINCIPAL, 'Directory.ReadWrite.All');
  const fault = emulator.core.faults.add({ route: 'graph.servicePrincipals.appRoleAssignments.list', response: { status: 503, headers: { 'retry-after': '0' }, body: { error: { code: 'serviceNotAvailable', message: 'down' } } } });
  try {
    const outcome = await remediateGraphAppRole(finding, context());
    assert.equal(outcome.status, 'skipped');
    assert.match(outcome.reason, /^re-reading the app-role assignments failed: .*503 serviceNotAvailable/);
  } finally {
    emulator.core.faults.remove(fault);
  }
  // Without AppRoleAssignment.ReadWrite.All (a deployment that did not opt in), Graph refuses the delete.
  const permission = tenant().appRoleAssignmentsOf(BOT_PRINCIPAL).find((grant) => grant.appRoleId === appRoleId('AppRoleAssignment.ReadWrite.All'))!;
  tenant().revokeAppRole(permission.id);
  try {
    const ctx = context();
    const outcome = await remediateGraphAppRole(finding, ctx);
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.reason, /403 Authorization_RequestDenied/);
    const records = await store.audit.list({ runId: ctx.runId });
    assert.deepEqual(records.map((record) => record.kind), ['decision', 'action-failed']);
    assert.ok(records[1]!.requestIds.length === 2, 'the failed delete has its request id on record');
  } finally {
    tenant().grantAppRole(BOT_PRINCIPAL, permission.appRoleId, permission.resourceId, emulator.core.clock.now());
  }
  assert.ok(holds(UAMI_PRINCIPAL, 'Directory.ReadWrite.All'));
});
