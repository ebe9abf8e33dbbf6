import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { ManagedIdentityCredential } from '@azure/identity';
import { useEmulator } from '../support/emulator.ts';
import { smallTenant } from '../support/seeds.ts';
import { botGrants, withBotGrants } from '../support/bot-grants.ts';
import { APP_PRINCIPAL, BOT_CLIENT, BOT_PRINCIPAL, DELETED_PRINCIPAL, HUMAN_ADMIN, MG_PROD, SUB_PROD, UAMI_PRINCIPAL } from '../support/ids.ts';

/**
 * The bot with exactly what an enforce deployment grants it, the RBAC Administrator's ABAC condition included
 * (infra/data/bot-permissions.json): the emulator evaluates the condition on every create and delete.
 */
const RG_APP = `/subscriptions/${SUB_PROD}/resourceGroups/rg-app`;
const ROLES = {
  owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  userAccessAdministrator: '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
  rbacAdministrator: 'f58310d9-a9f6-439a-9e8d-f62e7b41a168',
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
};
const PRIVILEGED_ASSIGNMENT = '0a000000-0000-4000-8000-00000000a001';
const ORPHAN_ASSIGNMENT = '0a000000-0000-4000-8000-00000000a002';

const base = smallTenant();
const emulator = await useEmulator({
  seed: withBotGrants(
    {
      ...base,
      roleAssignments: [
        ...base.roleAssignments!.filter((assignment) => assignment.principalId !== DELETED_PRINCIPAL),
        { name: PRIVILEGED_ASSIGNMENT, scope: `/subscriptions/${SUB_PROD}`, role: 'Owner', principalId: APP_PRINCIPAL, principalType: 'ServicePrincipal' },
        { name: ORPHAN_ASSIGNMENT, scope: RG_APP, role: 'Reader', principalId: DELETED_PRINCIPAL, principalType: 'ServicePrincipal' },
      ],
    },
    botGrants({ principalId: BOT_PRINCIPAL, targetScopes: [`/providers/Microsoft.Management/managementGroups/${MG_PROD}`], flags: { enableRemediation: true } }),
  ),
});

const bot = new AuthorizationManagementClient(new ManagedIdentityCredential({ clientId: BOT_CLIENT }), SUB_PROD, {
  endpoint: emulator.baseUrl,
  credentialScopes: ['https://management.azure.com/.default'],
});

const roleDefinitionId = (role: string) => `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleDefinitions/${role}`;

async function refused(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => assert.fail('expected Azure to refuse'),
    (failure: { code?: string; statusCode?: number }) => failure,
  );
  assert.equal(error.statusCode, 403);
  assert.equal(error.code, 'AuthorizationFailed');
}

test('the seeded RBAC Administrator carries the deployed condition with the bot id substituted', () => {
  const [administrator] = emulator.core.tenant.listRoleAssignments(`/subscriptions/${SUB_PROD}`, { principalIds: new Set([BOT_PRINCIPAL]) }).filter((a) => a.roleDefinitionName === ROLES.rbacAdministrator);
  assert.ok(administrator?.condition, 'the assignment is conditioned');
  assert.ok(administrator.condition.includes(`GuidNotEquals {${BOT_PRINCIPAL}}`));
  assert.ok(!administrator.condition.includes('BOT_PRINCIPAL_ID'));
});

test('the bot deletes an orphaned assignment and a privileged broad one', async () => {
  await bot.roleAssignments.delete(RG_APP, ORPHAN_ASSIGNMENT);
  await bot.roleAssignments.delete(`/subscriptions/${SUB_PROD}`, PRIVILEGED_ASSIGNMENT);
  const left = emulator.core.tenant.listRoleAssignments(`/subscriptions/${SUB_PROD}`).map((assignment) => assignment.name);
  assert.ok(!left.includes(ORPHAN_ASSIGNMENT));
  assert.ok(!left.includes(PRIVILEGED_ASSIGNMENT));
});

test('the bot creates the down-scoped administrator roles for a service principal', async () => {
  for (const role of [ROLES.owner, ROLES.contributor, ROLES.userAccessAdministrator, ROLES.rbacAdministrator]) {
    const created = await bot.roleAssignments.create(RG_APP, randomUUID(), { roleDefinitionId: roleDefinitionId(role), principalId: UAMI_PRINCIPAL, principalType: 'ServicePrincipal' });
    assert.equal(created.roleDefinitionId, roleDefinitionId(role));
    assert.equal(created.principalId, UAMI_PRINCIPAL);
  }
});

test('the bot may not create a role outside the allowed set (Reader)', async () => {
  await refused(bot.roleAssignments.create(RG_APP, randomUUID(), { roleDefinitionId: roleDefinitionId(ROLES.reader), principalId: UAMI_PRINCIPAL, principalType: 'ServicePrincipal' }));
});

test('the bot may not create anything for a user, even when the body leaves principalType out', async () => {
  await refused(bot.roleAssignments.create(RG_APP, randomUUID(), { roleDefinitionId: roleDefinitionId(ROLES.contributor), principalId: HUMAN_ADMIN, principalType: 'User' }));
  await refused(bot.roleAssignments.create(RG_APP, randomUUID(), { roleDefinitionId: roleDefinitionId(ROLES.contributor), principalId: HUMAN_ADMIN }));
});

test('the bot may not grant itself anything', async () => {
  await refused(bot.roleAssignments.create(RG_APP, randomUUID(), { roleDefinitionId: roleDefinitionId(ROLES.owner), principalId: BOT_PRINCIPAL, principalType: 'ServicePrincipal' }));
});

test('the bot may not delete its own assignments', async () => {
  const own = emulator.core.tenant.listRoleAssignments(`/subscriptions/${SUB_PROD}`, { principalIds: new Set([BOT_PRINCIPAL]) });
  assert.equal(own.length, 2, 'Reader and the RBAC Administrator, inherited from the management group');
  for (const assignment of own) await refused(bot.roleAssignments.delete(assignment.scope, assignment.name));
  assert.equal(emulator.core.tenant.listRoleAssignments(`/subscriptions/${SUB_PROD}`, { principalIds: new Set([BOT_PRINCIPAL]) }).length, 2);
});
