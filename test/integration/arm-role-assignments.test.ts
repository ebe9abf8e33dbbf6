import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthorizationManagementClient, type RoleAssignment } from '@azure/arm-authorization';
import { ManagedIdentityCredential } from '@azure/identity';
import type { ArmOperation } from '../../emulator/arm/operations.ts';
import { call, credentialFor, tokenFor, useEmulator } from '../support/emulator.ts';
import { smallTenant } from '../support/seeds.ts';
import { APP_PRINCIPAL, BOT_CLIENT, BOT_PRINCIPAL, HUMAN_ADMIN, MG_PROD, SUB_DEV, SUB_PROD, TENANT_ID, UAMI_PRINCIPAL } from '../support/ids.ts';

const RG_APP = `/subscriptions/${SUB_PROD}/resourceGroups/rg-app`;
const RG_DEV = `/subscriptions/${SUB_DEV}/resourceGroups/rg-dev`;
const PLATFORM_GROUP = 'a0000000-0000-4000-8000-0000000000a1';
const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
const CONTRIBUTOR = 'b24988ac-6180-42a0-ab88-20f7382dd24c';
const OWNER = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';
const API = 'api-version=2022-04-01';
/** Enough assignments at rg-dev to need a second page at ARM's page size. */
const BULK = 120;

const base = smallTenant();
const emulator = await useEmulator({
  seed: smallTenant({
    groups: [{ id: PLATFORM_GROUP, displayName: 'platform-admins', members: [UAMI_PRINCIPAL] }],
    roleAssignments: [
      ...base.roleAssignments!,
      { scope: RG_APP, role: 'Contributor', principalId: PLATFORM_GROUP, principalType: 'Group' },
      { scope: RG_APP, role: 'Reader', principalId: APP_PRINCIPAL },
      ...Array.from({ length: BULK }, (_, i) => ({ scope: RG_DEV, role: 'Reader', principalId: `e0000000-0000-4000-8000-${String(i).padStart(12, '0')}` })),
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

async function rejection(promise: Promise<unknown>): Promise<{ code?: string; statusCode?: number; message: string }> {
  return promise.then(
    () => assert.fail('expected the call to fail'),
    (error: { code?: string; statusCode?: number; message: string }) => error,
  );
}

/** ARM operations published while `action` runs. */
async function operationsDuring(action: () => Promise<unknown>): Promise<ArmOperation[]> {
  const seen: ArmOperation[] = [];
  const unsubscribe = emulator.core.armOperations.subscribe((operation) => seen.push(operation));
  try {
    await action();
  } finally {
    unsubscribe();
  }
  return seen;
}

test('a resource group with more assignments than a page is listed over several pages with the real SDK', async () => {
  emulator.core.requests.reset();
  const pages = await all(bot.roleAssignments.listForScope(RG_DEV).byPage());
  const expected = emulator.core.tenant.listRoleAssignments(RG_DEV).length;
  assert.ok(expected > BULK, 'the bulk assignments plus those inherited from above');
  assert.deepEqual(
    pages.map((page) => page.length),
    [100, expected - 100],
  );
  assert.equal(emulator.core.requests.countsByRoute()['arm.roleAssignments.list'], 2);
  assert.equal(new Set(pages.flat().map((assignment) => assignment.id!.toLowerCase())).size, expected, 'no assignment twice');
});

test('the nextLink is absolute and keeps api-version and $filter', async () => {
  const token = tokenFor(emulator, BOT_PRINCIPAL);
  const first = await call(emulator, 'GET', `${RG_DEV}/providers/Microsoft.Authorization/roleAssignments?${API}&$filter=atScope()`, { token });
  assert.equal(first.status, 200);
  const nextLink: string = first.body.nextLink;
  assert.ok(nextLink.startsWith(`${emulator.baseUrl}${RG_DEV}/providers/Microsoft.Authorization/roleAssignments?`), nextLink);
  const query = new URL(nextLink).searchParams;
  assert.equal(query.get('api-version'), '2022-04-01');
  assert.equal(query.get('$filter'), 'atScope()');
  assert.ok(query.get('$skipToken'));
  const second = await call(emulator, 'GET', nextLink.slice(emulator.baseUrl.length), { token });
  assert.equal(second.status, 200);
  assert.equal(second.body.nextLink, undefined);
  assert.equal(first.body.value.length + second.body.value.length, emulator.core.tenant.listRoleAssignments(RG_DEV, { atScope: true }).length);
});

test('a smaller page size pages a filtered list, and the filter holds on every page', async () => {
  const sizes = emulator.core.armPageSizes;
  const saved = sizes.roleAssignments;
  sizes.roleAssignments = 1;
  try {
    emulator.core.requests.reset();
    const assignments = await all(bot.roleAssignments.listForSubscription({ filter: `assignedTo('${UAMI_PRINCIPAL}')` }));
    assert.deepEqual(assignments.map((assignment) => assignment.principalId).sort(), [PLATFORM_GROUP, UAMI_PRINCIPAL].sort(), 'direct and through the group');
    assert.equal(emulator.core.requests.countsByRoute()['arm.roleAssignments.list'], 2);
  } finally {
    sizes.roleAssignments = saved;
  }
});

test('filters: atScope() keeps the scope and above, principalId eq matches exactly, and atScope() and assignedTo() combine', async () => {
  const atScope = await all(bot.roleAssignments.listForScope(RG_APP, { filter: 'atScope()' }));
  const scopes = new Set(atScope.map((assignment) => assignment.scope!.toLowerCase()));
  assert.deepEqual(
    [...scopes].sort(),
    [RG_APP, `/subscriptions/${SUB_PROD}`, `/providers/Microsoft.Management/managementGroups/${MG_PROD}`, `/providers/Microsoft.Management/managementGroups/${TENANT_ID}`]
      .map((scope) => scope.toLowerCase())
      .sort(),
  );

  const direct = await all(bot.roleAssignments.listForSubscription({ filter: `principalId eq '${UAMI_PRINCIPAL}'` }));
  assert.deepEqual(
    direct.map((assignment) => [assignment.principalId, assignment.scope]),
    [[UAMI_PRINCIPAL, `/subscriptions/${SUB_PROD}`]],
  );

  const combined = await all(bot.roleAssignments.listForScope(`/subscriptions/${SUB_PROD}`, { filter: `atScope() and assignedTo('${UAMI_PRINCIPAL}')` }));
  assert.deepEqual(
    combined.map((assignment) => assignment.principalId),
    [UAMI_PRINCIPAL],
    'the group assignment at rg-app is below the scope',
  );
  const documentedSpelling = await call(emulator, 'GET', `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleAssignments?${API}&$filter=atScope()+and+assignedTo('${UAMI_PRINCIPAL}')`, {
    token: tokenFor(emulator, BOT_PRINCIPAL),
  });
  assert.deepEqual(
    documentedSpelling.body.value.map((item: { name: string }) => item.name),
    combined.map((assignment) => assignment.name),
    "'+' for spaces, as the docs write it",
  );
});

test('a filter ARM does not support is 400 UnsupportedQuery, atScope() with principalId eq included', async () => {
  for (const filter of [`roleDefinitionId eq '${READER}'`, `atScope() and principalId eq '${UAMI_PRINCIPAL}'`, 'principalId eq abc']) {
    const error = await rejection(all(bot.roleAssignments.listForSubscription({ filter })));
    assert.equal(error.statusCode, 400, filter);
    assert.equal(error.code, 'UnsupportedQuery', filter);
    assert.match(error.message, /Supported filters are either 'atScope\(\)'/);
  }
});

test('lists at a management group and at the root show what the caller may read there', async () => {
  const atGroup = await all(bot.roleAssignments.listForScope(`/providers/Microsoft.Management/managementGroups/${MG_PROD}`, { filter: 'atScope()' }));
  assert.deepEqual(
    atGroup.map((assignment) => `${assignment.principalId} ${assignment.roleDefinitionId}`).sort(),
    [`${BOT_PRINCIPAL} /providers/Microsoft.Authorization/roleDefinitions/${READER}`, `${HUMAN_ADMIN} /providers/Microsoft.Authorization/roleDefinitions/${OWNER}`].sort(),
    'management-group assignments carry tenant-level role definition ids',
  );
  const atRoot = await all(admin.roleAssignments.listForScope('/'));
  assert.equal(atRoot.length, emulator.core.tenant.roleAssignments.size, 'the root owner sees every assignment');
});

test('a caller with Reader on one resource group sees only that group, and nothing elsewhere is a 403', async () => {
  const token = tokenFor(emulator, APP_PRINCIPAL);
  const list = await call(emulator, 'GET', `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleAssignments?${API}`, { token });
  assert.equal(list.status, 200);
  assert.ok(list.body.value.length > 0);
  assert.ok(list.body.value.every((item: { properties: { scope: string } }) => item.properties.scope.toLowerCase() === RG_APP.toLowerCase()));
  const elsewhere = await call(emulator, 'GET', `/subscriptions/${SUB_DEV}/providers/Microsoft.Authorization/roleAssignments?${API}`, { token });
  assert.equal(elsewhere.status, 403);
  assert.equal(elsewhere.body.error.code, 'AuthorizationFailed');
});

test('create, get, createById, getById, delete and deleteById through the SDK, each write published once', async () => {
  const name = '5d0b7c3e-2f1a-4e55-8a44-0c2b6a9f1e77';
  const parameters = { roleDefinitionId: `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleDefinitions/${READER}`, principalId: APP_PRINCIPAL, principalType: 'ServicePrincipal' };
  let created: RoleAssignment | undefined;
  const writes = await operationsDuring(async () => {
    created = await admin.roleAssignments.create(`/subscriptions/${SUB_PROD}`, name, parameters, { requestOptions: { customHeaders: { 'x-ms-client-request-id': 'client-req-1' } } });
  });
  assert.equal(created!.id, `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleAssignments/${name}`);
  assert.equal(created!.createdBy, HUMAN_ADMIN);
  assert.equal(created!.principalType, 'ServicePrincipal');
  assert.equal(writes.length, 1);
  const [write] = writes;
  assert.equal(write!.operationName, 'Microsoft.Authorization/roleAssignments/write');
  assert.equal(write!.kind, 'write');
  assert.equal(write!.resourceId, created!.id);
  assert.equal(write!.subscriptionId, SUB_PROD);
  assert.equal(write!.caller.principalId, HUMAN_ADMIN);
  assert.equal(write!.authorization.grantedBy?.principalId, HUMAN_ADMIN, "the admin's Owner assignment at the root allowed it");
  assert.equal(write!.httpMethod, 'PUT');
  assert.equal(write!.url, `https://management.azure.com${created!.id}?api-version=2022-04-01`);
  assert.equal(write!.clientRequestId, 'client-req-1');
  assert.ok(write!.correlationId);

  const again = await call(emulator, 'PUT', `${created!.id}?${API}`, { token: tokenFor(emulator, HUMAN_ADMIN), body: { properties: parameters } });
  assert.equal(again.status, 200, 'the same assignment again is an update');
  assert.match(again.body.properties.createdOn, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/, 'seven fractional digits, like ARM');

  const byScope = await bot.roleAssignments.get(`/subscriptions/${SUB_PROD}`, name);
  const byId = await bot.roleAssignments.getById(created!.id!);
  assert.deepEqual(byId, byScope);
  assert.equal(byId.roleDefinitionId, parameters.roleDefinitionId);

  const deletes = await operationsDuring(async () => {
    const removed = await admin.roleAssignments.deleteById(created!.id!.toUpperCase().replace('/PROVIDERS/MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/', '/providers/Microsoft.Authorization/roleAssignments/'));
    assert.equal(removed.name, name, 'ids match case-insensitively');
    const gone = await admin.roleAssignments.deleteById(created!.id!);
    assert.equal(gone.id, undefined, 'the second delete is a 204 without a body');
  });
  assert.deepEqual(
    deletes.map((operation) => operation.operationName),
    ['Microsoft.Authorization/roleAssignments/delete'],
    'deleting what is gone publishes nothing',
  );

  const missing = await rejection(bot.roleAssignments.get(`/subscriptions/${SUB_PROD}`, name));
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.code, 'RoleAssignmentNotFound');

  const createdById = await admin.roleAssignments.createById(`/subscriptions/${SUB_PROD}/resourceGroups/rg-app/providers/Microsoft.Authorization/roleAssignments/${name}`, {
    ...parameters,
    roleDefinitionId: `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}`,
  });
  assert.equal(createdById.scope, RG_APP);
  await admin.roleAssignments.delete(RG_APP, name);
  assert.equal(emulator.core.tenant.roleAssignment(createdById.id!), undefined);
});

test('the bot, a Reader, cannot write or delete role assignments: 403 AuthorizationFailed', async () => {
  const parameters = { roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${READER}`, principalId: APP_PRINCIPAL };
  const write = await rejection(bot.roleAssignments.create(RG_APP, '7b2f4d0a-0c1e-4c3b-9a77-1d2e3f405162', parameters));
  assert.equal(write.statusCode, 403);
  assert.equal(write.code, 'AuthorizationFailed');
  assert.match(write.message, /Microsoft\.Authorization\/roleAssignments\/write/);
  const existing = emulator.core.tenant.listRoleAssignments(RG_APP, { atScope: true, principalIds: new Set([APP_PRINCIPAL.toLowerCase()]) })[0]!;
  const remove = await rejection(bot.roleAssignments.deleteById(existing.id));
  assert.equal(remove.statusCode, 403);
  assert.equal(remove.code, 'AuthorizationFailed');
  assert.ok(emulator.core.tenant.roleAssignment(existing.id), 'still there');
});

test('RoleAssignmentExists, RoleAssignmentUpdateNotPermitted, PrincipalNotFound and a bad role id are refused like ARM', async () => {
  const existing = emulator.core.tenant.listRoleAssignments(`/subscriptions/${SUB_PROD}`, { atScope: true, principalIds: new Set([UAMI_PRINCIPAL]) })[0]!;
  const duplicate = await rejection(
    admin.roleAssignments.create(`/subscriptions/${SUB_PROD}`, '0c2f6e1a-9d3b-4f5e-8a7b-6c5d4e3f2a10', {
      roleDefinitionId: `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}`,
      principalId: UAMI_PRINCIPAL,
    }),
  );
  assert.equal(duplicate.statusCode, 409);
  assert.equal(duplicate.code, 'RoleAssignmentExists');
  assert.match(duplicate.message, new RegExp(existing.name.replaceAll('-', '')));

  const changed = await rejection(admin.roleAssignments.createById(existing.id, { roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${READER}`, principalId: UAMI_PRINCIPAL }));
  assert.equal(changed.statusCode, 400);
  assert.equal(changed.code, 'RoleAssignmentUpdateNotPermitted');

  const nobody = await rejection(
    admin.roleAssignments.create(RG_APP, '1e2d3c4b-5a69-4788-9a0b-1c2d3e4f5a6b', { roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${READER}`, principalId: 'dead0000-0000-4000-8000-00000000beef' }),
  );
  assert.equal(nobody.statusCode, 400);
  assert.equal(nobody.code, 'PrincipalNotFound');

  const badRole = await call(emulator, 'PUT', `${RG_APP}/providers/Microsoft.Authorization/roleAssignments/2e2d3c4b-5a69-4788-9a0b-1c2d3e4f5a6b?${API}`, {
    token: tokenFor(emulator, HUMAN_ADMIN),
    body: { properties: { roleDefinitionId: 'Reader', principalId: APP_PRINCIPAL } },
  });
  assert.equal(badRole.status, 400);
  assert.equal(badRole.body.error.code, 'InvalidRoleDefinitionId');

  const notGuid = await call(emulator, 'PUT', `${RG_APP}/providers/Microsoft.Authorization/roleAssignments/not-a-guid?${API}`, {
    token: tokenFor(emulator, HUMAN_ADMIN),
    body: { properties: { roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${READER}`, principalId: APP_PRINCIPAL } },
  });
  assert.equal(notGuid.status, 400);
  assert.equal(notGuid.body.error.code, 'InvalidRoleAssignmentId');
});

test('an unknown subscription is 404 SubscriptionNotFound and an unsupported api-version is 400', async () => {
  const token = tokenFor(emulator, HUMAN_ADMIN);
  const unknown = await call(emulator, 'GET', `/subscriptions/99999999-9999-4999-8999-999999999999/providers/Microsoft.Authorization/roleAssignments?${API}`, { token });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error.code, 'SubscriptionNotFound');
  const oldVersion = await call(emulator, 'GET', `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleAssignments?api-version=2015-07-01`, { token });
  assert.equal(oldVersion.status, 400);
  assert.equal(oldVersion.body.error.code, 'InvalidApiVersionParameter');
});
