import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthorizationManagementClient, type RoleDefinition } from '@azure/arm-authorization';
import { ManagedIdentityCredential } from '@azure/identity';
import type { ArmOperation } from '../../emulator/arm/operations.ts';
import { call, credentialFor, tokenFor, useEmulator } from '../support/emulator.ts';
import { smallTenant } from '../support/seeds.ts';
import { APP_PRINCIPAL, BOT_CLIENT, HUMAN_ADMIN, SUB_DEV, SUB_PROD } from '../support/ids.ts';

const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
const OPS_ROLE = 'c0ffee00-0000-4000-8000-000000000001';
const QUOTED_ROLE = 'c0ffee00-0000-4000-8000-000000000002';
const API = 'api-version=2022-04-01';

const emulator = await useEmulator({
  seed: smallTenant({
    roleDefinitions: [
      { id: OPS_ROLE, roleName: 'ops-everything', assignableScopes: [`/subscriptions/${SUB_PROD}`], permissions: [{ actions: ['*'], notActions: [], dataActions: [], notDataActions: [] }] },
      { id: QUOTED_ROLE, roleName: "Bob's read and write", assignableScopes: [`/subscriptions/${SUB_PROD}`], permissions: [{ actions: ['*/read'] }] },
    ],
  }),
});

const options = { endpoint: emulator.baseUrl, credentialScopes: ['https://management.azure.com/.default'] };
const bot = new AuthorizationManagementClient(new ManagedIdentityCredential({ clientId: BOT_CLIENT }), SUB_PROD, options);
const admin = new AuthorizationManagementClient(credentialFor(emulator, HUMAN_ADMIN), SUB_PROD, options);

async function all<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of pages) items.push(item);
  return items;
}

async function rejection(promise: Promise<unknown>): Promise<{ code?: string; statusCode?: number }> {
  return promise.then(
    () => assert.fail('expected the call to fail'),
    (error: { code?: string; statusCode?: number }) => error,
  );
}

test('listing at a subscription gives built-in roles and the custom roles assignable there, with subscription-prefixed ids', async () => {
  const atProd = await all(bot.roleDefinitions.list(`/subscriptions/${SUB_PROD}`));
  const reader = atProd.find((definition) => definition.name === READER)!;
  assert.equal(reader.id, `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleDefinitions/${READER}`);
  assert.equal(reader.roleType, 'BuiltInRole');
  assert.deepEqual(reader.assignableScopes, ['/']);
  assert.ok(atProd.some((definition) => definition.name === OPS_ROLE));
  const atDev = await all(bot.roleDefinitions.list(`/subscriptions/${SUB_DEV}`));
  assert.ok(!atDev.some((definition) => definition.name === OPS_ROLE), 'not assignable in the other subscription');
  const belowGroup = await all(admin.roleDefinitions.list('/providers/Microsoft.Management/managementGroups/mg-prod', { filter: 'atScopeAndBelow()' }));
  assert.ok(belowGroup.some((definition) => definition.name === OPS_ROLE), 'atScopeAndBelow() reaches roles assignable below');
});

test('roleName eq and type eq filters, alone and together', async () => {
  const byName = await all(bot.roleDefinitions.list(`/subscriptions/${SUB_PROD}`, { filter: "roleName eq 'reader'" }));
  assert.deepEqual(
    byName.map((definition) => definition.roleName),
    ['Reader'],
  );
  const custom = await all(bot.roleDefinitions.list(`/subscriptions/${SUB_PROD}`, { filter: "type eq 'CustomRole'" }));
  assert.deepEqual(
    custom.map((definition) => definition.name),
    [OPS_ROLE, QUOTED_ROLE],
  );
  const quoted = await all(bot.roleDefinitions.list(`/subscriptions/${SUB_PROD}`, { filter: "roleName eq 'Bob''s read and write' and type eq 'CustomRole'" }));
  assert.deepEqual(
    quoted.map((definition) => definition.name),
    [QUOTED_ROLE],
    "an escaped quote and an 'and' inside the literal",
  );
  const none = await all(bot.roleDefinitions.list(`/subscriptions/${SUB_PROD}`, { filter: "roleName eq 'Reader' and type eq 'CustomRole'" }));
  assert.deepEqual(none, []);
  const unsupported = await rejection(all(bot.roleDefinitions.list(`/subscriptions/${SUB_PROD}`, { filter: "startswith(roleName, 'Read')" })));
  assert.equal(unsupported.statusCode, 400);
  assert.equal(unsupported.code, 'UnsupportedQuery');
});

test('get by scope and getById in both id forms', async () => {
  const atScope = await bot.roleDefinitions.get(`/subscriptions/${SUB_PROD}`, READER);
  assert.equal(atScope.roleName, 'Reader');
  const tenantLevel = await bot.roleDefinitions.getById(`/providers/Microsoft.Authorization/roleDefinitions/${READER}`);
  assert.equal(tenantLevel.id, `/providers/Microsoft.Authorization/roleDefinitions/${READER}`, 'any principal resolves a role id at the root');
  const prefixed = await bot.roleDefinitions.getById(`/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleDefinitions/${READER.toUpperCase()}`);
  assert.equal(prefixed.name, READER);
  const missing = await rejection(bot.roleDefinitions.getById('/providers/Microsoft.Authorization/roleDefinitions/00000000-0000-4000-8000-000000000000'));
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.code, 'RoleDefinitionDoesNotExist');
  const outsider = await call(emulator, 'GET', `/subscriptions/${SUB_DEV}/providers/Microsoft.Authorization/roleDefinitions/${READER}?${API}`, { token: tokenFor(emulator, APP_PRINCIPAL) });
  assert.equal(outsider.status, 403, 'below the root, reading needs roleDefinitions/read at the scope');
  assert.equal(outsider.body.error.code, 'AuthorizationFailed');
});

test('a custom role is created (201), updated (201 again), refused a taken name, and deleted once', async () => {
  const id = 'de1e7e00-0000-4000-8000-000000000002';
  const scope = `/subscriptions/${SUB_PROD}`;
  const definition: RoleDefinition = {
    roleName: 'identity-reader',
    description: 'Reads managed identities',
    assignableScopes: [scope],
    permissions: [{ actions: ['Microsoft.ManagedIdentity/*/read'], notActions: [], dataActions: [], notDataActions: [] }],
  };
  const operations: ArmOperation[] = [];
  const unsubscribe = emulator.core.armOperations.subscribe((operation) => operations.push(operation));
  try {
    const created = await admin.roleDefinitions.createOrUpdate(scope, id, definition);
    assert.equal(created.roleType, 'CustomRole');
    assert.equal(created.createdBy, HUMAN_ADMIN);
    assert.equal(created.id, `${scope}/providers/Microsoft.Authorization/roleDefinitions/${id}`);
    const updated = await admin.roleDefinitions.createOrUpdate(scope, id, { ...definition, description: 'Reads identities' });
    assert.equal(updated.description, 'Reads identities');
    assert.equal(emulator.core.tenant.roleDefinition(id)?.description, 'Reads identities');

    const taken = await rejection(admin.roleDefinitions.createOrUpdate(scope, 'de1e7e00-0000-4000-8000-000000000003', { ...definition, roleName: 'Identity-Reader' }));
    assert.equal(taken.statusCode, 409);
    assert.equal(taken.code, 'RoleDefinitionWithSameNameExists');

    const removed = await admin.roleDefinitions.delete(scope, id);
    assert.equal(removed.roleName, 'identity-reader');
    const again = await admin.roleDefinitions.delete(scope, id);
    assert.equal(again.id, undefined, '204 when already gone');
  } finally {
    unsubscribe();
  }
  assert.deepEqual(
    operations.map((operation) => operation.operationName),
    ['Microsoft.Authorization/roleDefinitions/write', 'Microsoft.Authorization/roleDefinitions/write', 'Microsoft.Authorization/roleDefinitions/delete'],
  );
});

test('a role in use cannot be deleted, a built-in cannot change, and the bot cannot write roles', async () => {
  const token = tokenFor(emulator, HUMAN_ADMIN);
  await admin.roleAssignments.create(`/subscriptions/${SUB_PROD}`, 'ab000000-0000-4000-8000-000000000001', {
    roleDefinitionId: `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleDefinitions/${OPS_ROLE}`,
    principalId: APP_PRINCIPAL,
  });
  const inUse = await call(emulator, 'DELETE', `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleDefinitions/${OPS_ROLE}?${API}`, { token });
  assert.equal(inUse.status, 409);
  assert.equal(inUse.body.error.code, 'RoleDefinitionHasAssignments');

  const builtIn = await call(emulator, 'DELETE', `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleDefinitions/${READER}?${API}`, { token });
  assert.equal(builtIn.status, 400);
  assert.equal(builtIn.body.error.code, 'CannotModifyBuiltInRole');

  const denied = await rejection(
    bot.roleDefinitions.createOrUpdate(`/subscriptions/${SUB_PROD}`, 'de1e7e00-0000-4000-8000-000000000004', {
      roleName: 'bot-made',
      assignableScopes: [`/subscriptions/${SUB_PROD}`],
      permissions: [{ actions: ['*/read'] }],
    }),
  );
  assert.equal(denied.statusCode, 403);
  assert.equal(denied.code, 'AuthorizationFailed');
  assert.equal(emulator.core.tenant.roleDefinition('de1e7e00-0000-4000-8000-000000000004'), undefined);
});
