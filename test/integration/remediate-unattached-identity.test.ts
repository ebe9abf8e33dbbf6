import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, tokenFor, useEmulator } from '../support/emulator.ts';
import { useAzurite } from '../support/azurite.ts';
import { openTestStore } from '../support/state.ts';
import { smallTenant } from '../support/seeds.ts';
import { botGrants, withBotGrants } from '../support/bot-grants.ts';
import { BOT_IDENTITY_ID, BOT_PRINCIPAL, HUMAN_ADMIN, MG_PROD, SUB_DEV, SUB_PROD } from '../support/ids.ts';
import { createAzureClients } from '../../src/azure/clients.ts';
import { loadAzureConfig } from '../../src/azure/config.ts';
import { parsePolicy } from '../../src/policy/load.ts';
import { runSweep } from '../../src/pipeline/sweep.ts';
import { RemediationBudget } from '../../src/actions/remediate/budget.ts';
import { remediateUnattachedIdentity } from '../../src/actions/remediate/unattached-identity.ts';
import { restoreFromAudit, RestoreError } from '../../src/actions/remediate/restore.ts';
import type { Finding } from '../../src/model/finding.ts';
import { remediationContexts, loggedRoutes } from '../support/remediation.ts';

const identityId = (name: string) => `/subscriptions/${SUB_PROD}/resourceGroups/rg-app/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
const principal = (n: number) => `1d000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** Unattached identities, all past a week's grace on the sweep's date; each holds one kind of thing, or nothing. */
const IDLE = { name: 'uami-idle', principalId: principal(1) };
const WITH_ROLE = { name: 'uami-with-role', principalId: principal(2) };
const WITH_ROLE_ELSEWHERE = { name: 'uami-role-in-dev', principalId: principal(3) };
const WITH_GRAPH_ROLE = { name: 'uami-graph', principalId: principal(4) };
const WITH_DIRECTORY_ROLE = { name: 'uami-directory-role', principalId: principal(5) };
const WITH_CREDENTIAL = { name: 'uami-federated', principalId: principal(6) };
const ATTACHED_LATER = { name: 'uami-attached-later', principalId: principal(7) };
const RECREATED = { name: 'uami-recreated', principalId: principal(8) };
const SPARE = { name: 'uami-spare', principalId: principal(9) };
const FRESH = { name: 'uami-fresh', principalId: principal(10) };
const ALL = [IDLE, WITH_ROLE, WITH_ROLE_ELSEWHERE, WITH_GRAPH_ROLE, WITH_DIRECTORY_ROLE, WITH_CREDENTIAL, ATTACHED_LATER, RECREATED, SPARE];

const base = smallTenant();
const emulator = await useEmulator({
  seed: withBotGrants(
    {
      ...base,
      userAssignedIdentities: [
        ...(base.userAssignedIdentities ?? []),
        ...ALL.map((identity) => ({ id: identityId(identity.name), principalId: identity.principalId, createdAt: '2026-10-01T00:00:00Z' })),
        { id: identityId(FRESH.name), principalId: FRESH.principalId, createdAt: '2026-11-19T00:00:00Z' },
      ],
      roleAssignments: [
        ...(base.roleAssignments ?? []),
        { scope: `/subscriptions/${SUB_PROD}/resourceGroups/rg-app`, role: 'Reader', principalId: WITH_ROLE.principalId },
        { scope: `/subscriptions/${SUB_DEV}/resourceGroups/rg-dev`, role: 'Reader', principalId: WITH_ROLE_ELSEWHERE.principalId },
      ],
      appRoleAssignments: [...(base.appRoleAssignments ?? []), { principalId: WITH_GRAPH_ROLE.principalId, permission: 'User.Read.All' }],
      directoryRoleAssignments: [{ principalId: WITH_DIRECTORY_ROLE.principalId, role: 'Directory Readers' }],
    },
    // A deployment that opted in to identity deletion: Reader, Managed Identity Contributor, Directory.Read.All.
    botGrants({ principalId: BOT_PRINCIPAL, targetScopes: [`/providers/Microsoft.Management/managementGroups/${MG_PROD}`], flags: { enableIdentityDeletion: true } }),
  ),
});
const azurite = await useAzurite();
const store = await openTestStore(azurite);
const clients = createAzureClients(loadAzureConfig(emulator.env));
const asOf = new Date('2026-11-20T12:00:00Z');
const tenant = () => emulator.core.tenant;

const ENFORCE = 'version: 1\nenforcement: enforce\nrules:\n  unattached-user-assigned-identity: { action: remediate, graceHours: 168 }\n';
const DRY_RUN = 'version: 1\nrules:\n  unattached-user-assigned-identity: { action: remediate, graceHours: 168 }\n';

async function findings(policyText: string): Promise<Finding[]> {
  return (await runSweep(clients, parsePolicy(policyText, 'test'), { asOf })).findings.filter((finding) => finding.ruleId === 'unattached-user-assigned-identity');
}
const about = (list: Finding[], identity: { name: string }) => {
  const found = list.find((finding) => finding.identityResourceId?.toLowerCase() === identityId(identity.name).toLowerCase());
  assert.ok(found, `a finding about ${identity.name}`);
  return found;
};

const context = remediationContexts(clients, store.audit);

const routesOf = (requestIds: readonly string[]) => loggedRoutes(emulator, requestIds);

test('the rule lets the policy opt in to deletion, and its grace period holds back a fresh identity', async () => {
  assert.equal(parsePolicy('version: 1\n', 'test').policy.rules['unattached-user-assigned-identity']?.action, 'ticket', 'deletion is never the default');
  const list = await findings(ENFORCE);
  assert.equal(about(list, IDLE).decision.action, 'remediate');
  assert.ok(!list.some((finding) => finding.identityResourceId?.toLowerCase() === identityId(FRESH.name).toLowerCase()), 'a day-old identity is within its grace period');
  const own = list.find((finding) => finding.identityResourceId?.toLowerCase() === BOT_IDENTITY_ID.toLowerCase())!;
  assert.equal(own.decision.action, 'alert', "the bot's own unattached identity is never remediated");
});

test('dry-run proves the identity unused with every lookup, deletes nothing, and records the identity and why it is final', async () => {
  const finding = about(await findings(DRY_RUN), IDLE);
  assert.equal(finding.decision.dryRun, true);
  const ctx = context();
  const outcome = await remediateUnattachedIdentity(finding, ctx);
  assert.equal(outcome.status, 'dry-run', outcome.reason);
  assert.ok(tenant().userAssignedIdentity(identityId(IDLE.name)), 'still there');
  const [record] = await store.audit.list({ runId: ctx.runId });
  assert.equal(record?.outcome, 'would-delete');
  assert.match(record!.reason, /cannot be restored/);
  assert.equal((record?.priorState as { principalId: string }).principalId, IDLE.principalId);
  assert.deepEqual(
    new Set(routesOf(record!.requestIds)),
    new Set([
      'arm.userAssignedIdentities.get',
      'resourceGraph.resources',
      'arm.roleAssignments.list',
      'graph.servicePrincipals.appRoleAssignments.list',
      'graph.roleManagement.roleAssignments.list',
      'arm.federatedIdentityCredentials.list',
    ]),
    'every live lookup is on record by its request id',
  );
});

test('enforce deletes an identity that holds nothing, audited before and after; again it is already gone', async () => {
  const finding = about(await findings(ENFORCE), IDLE);
  const ctx = context();
  const outcome = await remediateUnattachedIdentity(finding, ctx);
  assert.equal(outcome.status, 'done', outcome.reason);
  assert.equal(tenant().userAssignedIdentity(identityId(IDLE.name)), undefined);
  assert.equal(tenant().servicePrincipals.get(IDLE.principalId), undefined, 'its service principal went with it');
  const records = await store.audit.list({ runId: ctx.runId });
  assert.deepEqual(records.map((record) => [record.kind, record.outcome]), [['decision', 'acting'], ['action', 'deleted']]);
  assert.equal((records[0]!.priorState as { id: string }).id.toLowerCase(), identityId(IDLE.name).toLowerCase(), 'the identity is on record before the delete');
  assert.ok(routesOf(records[1]!.requestIds).includes('arm.userAssignedIdentities.delete'));
  assert.match(records[1]!.reason, /cannot be restored: one created again with the same name gets a new principal id/);

  const again = await remediateUnattachedIdentity(finding, context());
  assert.deepEqual([again.status, again.reason], ['done', 'the identity no longer exists']);
});

test('idwarden restore refuses a deleted identity with a RestoreError that says why', async () => {
  const deleted = (await store.audit.list()).find((record) => record.kind === 'action' && record.action === 'delete-user-assigned-identity');
  assert.ok(deleted);
  const ctx = { clients, audit: store.audit, actor: BOT_PRINCIPAL, policyHash: 'test-policy', now: () => new Date() };
  await assert.rejects(restoreFromAudit(deleted.id, ctx), (error: unknown) => {
    assert.ok(error instanceof RestoreError);
    assert.equal(error.auditId, deleted.id);
    assert.match(error.message, /a deleted user-assigned identity cannot be restored: one created again with the same name gets a new principal id and client id/);
    return true;
  });
  assert.equal(tenant().userAssignedIdentity(identityId(IDLE.name)), undefined, 'nothing was created');
});

test('an identity that still holds anything is never deleted, and the record says what it holds', async () => {
  const list = await findings(ENFORCE);
  // Since the sweep: a federated credential was added, and a web app took an identity on.
  const admin = tokenFor(emulator, HUMAN_ADMIN);
  const credential = await call(emulator, 'PUT', `${identityId(WITH_CREDENTIAL.name)}/federatedIdentityCredentials/github-deploy?api-version=2024-11-30`, {
    token: admin,
    body: { properties: { issuer: 'https://token.actions.githubusercontent.com', subject: 'repo:contoso/app:environment:prod', audiences: ['api://AzureADTokenExchange'] } },
  });
  assert.equal(credential.status, 201);
  tenant().putResource({ id: `/subscriptions/${SUB_PROD}/resourceGroups/rg-app/providers/Microsoft.Web/sites/app2`, location: 'westeurope', identity: { systemAssigned: false, userAssigned: [identityId(ATTACHED_LATER.name)] } }, emulator.core.clock.now());

  const expectations: [{ name: string }, RegExp][] = [
    [WITH_ROLE, /role assignment \/subscriptions\/.+\/resourceGroups\/rg-app\/providers\/Microsoft\.Authorization\/roleAssignments\//i],
    [WITH_ROLE_ELSEWHERE, /role assignment \/subscriptions\/22222222-2222-4222-8222-222222222222\/resourceGroups\/rg-dev\//i],
    [WITH_GRAPH_ROLE, /Microsoft Graph app-role assignment/],
    [WITH_DIRECTORY_ROLE, /directory role assignment/],
    [WITH_CREDENTIAL, /federated identity credential github-deploy \(https:\/\/token\.actions\.githubusercontent\.com, repo:contoso\/app:environment:prod\)/],
    [ATTACHED_LATER, /used by \/subscriptions\/.+\/providers\/Microsoft\.Web\/sites\/app2/i],
  ];
  for (const [identity, holds] of expectations) {
    const outcome = await remediateUnattachedIdentity(about(list, identity), context());
    assert.equal(outcome.status, 'skipped', identity.name);
    assert.match(outcome.reason, /^the identity still holds something: /, identity.name);
    assert.match(outcome.reason, holds, identity.name);
    assert.ok(tenant().userAssignedIdentity(identityId(identity.name)), `${identity.name} is still there`);
  }
});

test('an identity created again under the same name since the sweep is a different identity, and is left alone', async () => {
  const finding = about(await findings(ENFORCE), RECREATED);
  const now = emulator.core.clock.now();
  tenant().deleteUserAssignedIdentity(identityId(RECREATED.name), now);
  const { identity } = tenant().createUserAssignedIdentity({ id: identityId(RECREATED.name), location: 'westeurope' }, now);
  const outcome = await remediateUnattachedIdentity(finding, context());
  assert.equal(outcome.status, 'skipped');
  assert.equal(outcome.reason, `the identity changed since it was judged: its principal is now ${identity.principalId.toLowerCase()} (created again under the same name)`);
  assert.ok(tenant().userAssignedIdentity(identityId(RECREATED.name)));
});

test('a protected principal, the bot itself and the circuit breaker stop the deletion before any call', async () => {
  const list = await findings(ENFORCE);
  const spare = about(list, SPARE);
  const before = emulator.core.requests.total();
  const protectedOutcome = await remediateUnattachedIdentity(spare, context({ protectedPrincipals: new Set([SPARE.principalId]) }));
  assert.deepEqual([protectedOutcome.status, protectedOutcome.reason], ['skipped', `principal ${SPARE.principalId} is protected`]);
  const own = list.find((finding) => finding.identityResourceId?.toLowerCase() === BOT_IDENTITY_ID.toLowerCase())!;
  const forced = await remediateUnattachedIdentity({ ...own, decision: { action: 'remediate', dryRun: false } }, context());
  assert.deepEqual([forced.status, forced.reason], ['skipped', `principal ${own.principalId} is protected`]);
  const spent = new RemediationBudget(0);
  const breaker = await remediateUnattachedIdentity(spare, context({ budget: spent }));
  assert.deepEqual([breaker.status, breaker.reason], ['skipped', 'the run reached its limit of 0 remediations']);
  assert.equal(spent.refused, 1);
  assert.equal(emulator.core.requests.total(), before, 'no call was made');
  assert.ok(tenant().userAssignedIdentity(identityId(SPARE.name)) && tenant().userAssignedIdentity(BOT_IDENTITY_ID));
});

test('a lookup that fails means "not proven unused": nothing is deleted', async () => {
  const finding = about(await findings(ENFORCE), SPARE);
  const fault = emulator.core.faults.add({ route: 'arm.federatedIdentityCredentials.list', response: { status: 403, body: { error: { code: 'AuthorizationFailed', message: 'no access' } } } });
  try {
    const outcome = await remediateUnattachedIdentity(finding, context());
    assert.equal(outcome.status, 'skipped');
    assert.match(outcome.reason, /^looking up federated identity credentials failed, so it is not proven unused: .*403 AuthorizationFailed/);
  } finally {
    emulator.core.faults.remove(fault);
  }
  const deleteRefused = emulator.core.faults.add({ route: 'arm.userAssignedIdentities.delete', response: { status: 409, body: { error: { code: 'Conflict', message: 'busy' } } } });
  try {
    const outcome = await remediateUnattachedIdentity(finding, context());
    assert.equal(outcome.status, 'failed', 'a failed delete is an outcome, never a throw');
    assert.match(outcome.reason, /409 Conflict/);
  } finally {
    emulator.core.faults.remove(deleteRefused);
  }
  assert.ok(tenant().userAssignedIdentity(identityId(SPARE.name)));
});
