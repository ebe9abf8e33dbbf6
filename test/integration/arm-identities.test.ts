import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManagedServiceIdentityClient } from '@azure/arm-msi';
import { ManagedIdentityCredential } from '@azure/identity';
import type { ArmOperation } from '../../emulator/arm/operations.ts';
import { call, credentialFor, tokenFor, useEmulator } from '../support/emulator.ts';
import { smallTenant } from '../support/seeds.ts';
import { APP_PRINCIPAL, BOT_CLIENT, BOT_IDENTITY_ID, HUMAN_ADMIN, SUB_PROD, TENANT_ID, UAMI_CLIENT, UAMI_ID, UAMI_PRINCIPAL, WEB_APP_ID } from '../support/ids.ts';

/** May write sites in rg-app, but not assign identities to them. */
const SITE_WRITER = 'c0ffee00-0000-4000-8000-000000005173';
const base = smallTenant();
const emulator = await useEmulator({
  seed: smallTenant({
    roleDefinitions: [{ id: SITE_WRITER, roleName: 'site-writer', assignableScopes: [`/subscriptions/${SUB_PROD}`], permissions: [{ actions: ['Microsoft.Web/sites/*'] }] }],
    roleAssignments: [...base.roleAssignments!, { scope: `/subscriptions/${SUB_PROD}/resourceGroups/rg-app`, role: 'site-writer', principalId: APP_PRINCIPAL }],
  }),
});

const options = { endpoint: emulator.baseUrl, credentialScopes: ['https://management.azure.com/.default'] };
const bot = new ManagedServiceIdentityClient(new ManagedIdentityCredential({ clientId: BOT_CLIENT }), SUB_PROD, options);
const admin = new ManagedServiceIdentityClient(credentialFor(emulator, HUMAN_ADMIN), SUB_PROD, options);
const adminToken = () => tokenFor(emulator, HUMAN_ADMIN);
const SITES = `/subscriptions/${SUB_PROD}/resourceGroups/rg-app/providers/Microsoft.Web/sites`;
const WEB_API = 'api-version=2023-12-01';

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

test('a user-assigned identity is created (201, then 200), gets its service principal, and is gone with it after delete', async () => {
  const operations = await operationsDuring(async () => {
    const created = await admin.userAssignedIdentities.createOrUpdate('rg-app', 'uami-new', { location: 'West Europe', tags: { owner: 'ops' } });
    assert.equal(created.id, `/subscriptions/${SUB_PROD}/resourcegroups/rg-app/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-new`);
    assert.equal(created.location, 'westeurope');
    assert.equal(created.tenantId, TENANT_ID);
    assert.equal(created.isolationScope, 'None');
    const principal = emulator.core.tenant.servicePrincipals.get(created.principalId!.toLowerCase());
    assert.equal(principal?.servicePrincipalType, 'ManagedIdentity');
    assert.equal(principal?.appId, created.clientId);
    assert.deepEqual(principal?.alternativeNames, ['isExplicit=True', `/subscriptions/${SUB_PROD}/resourceGroups/rg-app/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-new`]);

    const again = await call(emulator, 'PUT', `/subscriptions/${SUB_PROD}/resourceGroups/rg-app/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-new?api-version=2024-11-30`, {
      token: adminToken(),
      body: { location: 'westeurope', tags: { owner: 'sec' } },
    });
    assert.equal(again.status, 200);
    assert.equal(again.body.properties.principalId, created.principalId, 'an update keeps the identity');

    const patched = await admin.userAssignedIdentities.update('rg-app', 'uami-new', { tags: { owner: 'platform' } });
    assert.deepEqual(patched.tags, { owner: 'platform' });

    await admin.userAssignedIdentities.delete('rg-app', 'uami-new');
    assert.equal(emulator.core.tenant.servicePrincipals.has(created.principalId!.toLowerCase()), false, 'the service principal left with the identity');
    await admin.userAssignedIdentities.delete('rg-app', 'uami-new');
    const missing = await rejection(bot.userAssignedIdentities.get('rg-app', 'uami-new'));
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.code, 'ResourceNotFound');
  });
  assert.deepEqual(
    operations.map((operation) => `${operation.httpMethod} ${operation.operationName}`),
    [
      'PUT Microsoft.ManagedIdentity/userAssignedIdentities/write',
      'PUT Microsoft.ManagedIdentity/userAssignedIdentities/write',
      'PATCH Microsoft.ManagedIdentity/userAssignedIdentities/write',
      'DELETE Microsoft.ManagedIdentity/userAssignedIdentities/delete',
    ],
    'the second delete found nothing and published nothing',
  );
  assert.equal(operations[0]!.resourceGroup, 'rg-app');
  assert.deepEqual(
    operations.map((operation) => operation.updatedExisting),
    [false, true, true, undefined],
    'writes say whether they changed an existing identity',
  );
});

test('identities are listed by subscription and resource group, page by page with $skiptoken', async () => {
  const sizes = emulator.core.armPageSizes;
  const saved = sizes.userAssignedIdentities;
  sizes.userAssignedIdentities = 1;
  try {
    emulator.core.requests.reset();
    const bySubscription = await all(bot.userAssignedIdentities.listBySubscription());
    assert.deepEqual(bySubscription.map((identity) => identity.name).sort(), ['idwarden', 'uami-app']);
    assert.equal(emulator.core.requests.countsByRoute()['arm.userAssignedIdentities.listBySubscription'], 2);
    const first = await call(emulator, 'GET', `/subscriptions/${SUB_PROD}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version=2024-11-30`, { token: adminToken() });
    assert.match(first.body.nextLink, /^https:\/\/127\.0\.0\.1:\d+\/subscriptions\/.*\?api-version=2024-11-30&\$skiptoken=/);
  } finally {
    sizes.userAssignedIdentities = saved;
  }
  const byGroup = await all(bot.userAssignedIdentities.listByResourceGroup('rg-app'));
  assert.deepEqual(
    byGroup.map((identity) => [identity.name, identity.principalId, identity.clientId]),
    [['uami-app', UAMI_PRINCIPAL, UAMI_CLIENT]],
  );
  const older = await call(emulator, 'GET', `/subscriptions/${SUB_PROD}/resourceGroups/rg-app/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-app?api-version=2023-01-31`, { token: adminToken() });
  assert.equal(older.status, 200);
  assert.equal('isolationScope' in older.body.properties, false, '2023-01-31 has no isolationScope');
});

test('the bot, a Reader, cannot create or delete identities: 403 AuthorizationFailed', async () => {
  const create = await rejection(bot.userAssignedIdentities.createOrUpdate('rg-app', 'uami-bot', { location: 'westeurope' }));
  assert.equal(create.statusCode, 403);
  assert.equal(create.code, 'AuthorizationFailed');
  const remove = await rejection(bot.userAssignedIdentities.delete('rg-app', 'uami-app'));
  assert.equal(remove.statusCode, 403);
  assert.equal(remove.code, 'AuthorizationFailed');
  assert.ok(emulator.core.tenant.userAssignedIdentity(UAMI_ID));
});

test('a create without location is 400 LocationRequired, Regional isolation is a 501, and an identity does not move', async () => {
  const path = `/subscriptions/${SUB_PROD}/resourceGroups/rg-app/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-app?api-version=2024-11-30`;
  const noLocation = await call(emulator, 'PUT', path, { token: adminToken(), body: { tags: {} } });
  assert.equal(noLocation.status, 400);
  assert.equal(noLocation.body.error.code, 'LocationRequired');
  const regional = await call(emulator, 'PUT', path, { token: adminToken(), body: { location: 'westeurope', properties: { isolationScope: 'Regional' } } });
  assert.equal(regional.status, 501, 'a documented option the emulator lacks is a stated gap');
  assert.equal(regional.body.error.code, 'NotImplementedByEmulator');
  const moved = await call(emulator, 'PUT', path, { token: adminToken(), body: { location: 'eastus' } });
  assert.equal(moved.status, 400);
  assert.equal(moved.body.error.code, 'InvalidResourceLocation');
  const noGroup = await rejection(admin.userAssignedIdentities.createOrUpdate('rg-nope', 'x', { location: 'westeurope' }));
  assert.equal(noGroup.statusCode, 404);
  assert.equal(noGroup.code, 'ResourceGroupNotFound');
});

test('a system-assigned identity lives and dies with its resource through generic PUT and DELETE', async () => {
  const site = `${SITES}/app2`;
  const operations = await operationsDuring(async () => {
    const created = await call(emulator, 'PUT', `${site}?${WEB_API}`, { token: adminToken(), body: { location: 'westeurope', identity: { type: 'SystemAssigned' } } });
    assert.equal(created.status, 201);
    const principalId: string = created.body.identity.principalId;
    assert.equal(created.body.identity.type, 'SystemAssigned');
    assert.equal(created.body.identity.tenantId, TENANT_ID);
    assert.equal(emulator.core.tenant.servicePrincipals.get(principalId.toLowerCase())?.alternativeNames[0], 'isExplicit=False');

    const systemAssigned = await bot.systemAssignedIdentities.getByScope(site);
    assert.equal(systemAssigned.principalId, principalId);
    assert.equal(systemAssigned.tenantId, TENANT_ID);
    assert.ok(systemAssigned.clientSecretUrl?.startsWith('https://control-westeurope.identity.azure.net/'));

    const off = await call(emulator, 'PUT', `${site}?${WEB_API}`, { token: adminToken(), body: { location: 'westeurope', identity: { type: 'None' } } });
    assert.equal(off.status, 200);
    assert.equal(off.body.identity, undefined);
    assert.equal(emulator.core.tenant.servicePrincipals.has(principalId.toLowerCase()), false, 'turning the identity off removes its principal');
    const noIdentity = await rejection(bot.systemAssignedIdentities.getByScope(site));
    assert.equal(noIdentity.statusCode, 404);

    const on = await call(emulator, 'PUT', `${site}?${WEB_API}`, { token: adminToken(), body: { location: 'westeurope', identity: { type: 'SystemAssigned' } } });
    const removed = await call(emulator, 'DELETE', `${site}?${WEB_API}`, { token: adminToken() });
    assert.equal(removed.status, 200);
    assert.equal(emulator.core.tenant.servicePrincipals.has(on.body.identity.principalId.toLowerCase()), false, 'deleting the resource removes its principal');
    const gone = await call(emulator, 'DELETE', `${site}?${WEB_API}`, { token: adminToken() });
    assert.equal(gone.status, 204);
    const get = await call(emulator, 'GET', `${site}?${WEB_API}`, { token: adminToken() });
    assert.equal(get.status, 404);
    assert.equal(get.body.error.code, 'ResourceNotFound');
  });
  assert.deepEqual(
    operations.map((operation) => operation.operationName),
    ['Microsoft.Web/sites/write', 'Microsoft.Web/sites/write', 'Microsoft.Web/sites/write', 'Microsoft.Web/sites/delete'],
  );
});

test("both spellings of 'SystemAssigned, UserAssigned' attach identities; ARM answers without the space", async () => {
  for (const [name, type] of [
    ['app3', 'SystemAssigned, UserAssigned'],
    ['app4', 'SystemAssigned,UserAssigned'],
  ] as const) {
    const response = await call(emulator, 'PUT', `${SITES}/${name}?${WEB_API}`, {
      token: adminToken(),
      body: { location: 'westeurope', identity: { type, userAssignedIdentities: { [UAMI_ID]: {} } } },
    });
    assert.equal(response.status, 201, type);
    assert.equal(response.body.identity.type, 'SystemAssigned,UserAssigned');
    assert.deepEqual(response.body.identity.userAssignedIdentities, { [UAMI_ID]: { principalId: UAMI_PRINCIPAL, clientId: UAMI_CLIENT } });
  }
  assert.deepEqual(
    emulator.core.tenant
      .consumersOf(UAMI_ID)
      .map((resource) => resource.name)
      .sort(),
    ['app1', 'app3', 'app4'],
  );
  const seeded = await call(emulator, 'GET', `${WEB_APP_ID}?${WEB_API}`, { token: adminToken() });
  assert.equal(seeded.body.identity.type, 'SystemAssigned,UserAssigned');
});

test('attaching an identity needs assign/action on it (LinkedAuthorizationFailed), and a generic route needs an api-version', async () => {
  const body = { location: 'westeurope', identity: { type: 'UserAssigned', userAssignedIdentities: { [BOT_IDENTITY_ID]: {} } } };
  const contributor = await call(emulator, 'PUT', `${SITES}/app5?${WEB_API}`, { token: tokenFor(emulator, UAMI_PRINCIPAL), body });
  assert.equal(contributor.status, 201, 'Contributor on the subscription holds */assign/action');
  const siteWriter = await call(emulator, 'PUT', `${SITES}/app6?${WEB_API}`, { token: tokenFor(emulator, APP_PRINCIPAL), body });
  assert.equal(siteWriter.status, 403);
  assert.equal(siteWriter.body.error.code, 'LinkedAuthorizationFailed');
  assert.equal(emulator.core.tenant.resource(`${SITES}/app6`), undefined);
  const plainSite = await call(emulator, 'PUT', `${SITES}/app6?${WEB_API}`, { token: tokenFor(emulator, APP_PRINCIPAL), body: { location: 'westeurope' } });
  assert.equal(plainSite.status, 201, 'the same caller may write the site itself');
  const noVersion = await call(emulator, 'GET', WEB_APP_ID, { token: adminToken() });
  assert.equal(noVersion.status, 400);
  assert.equal(noVersion.body.error.code, 'MissingApiVersionParameter');
  const extension = await call(emulator, 'GET', `${WEB_APP_ID}/providers/Microsoft.Insights/diagnosticSettings/default?api-version=2021-05-01-preview`, { token: adminToken() });
  assert.equal(extension.status, 501);
  assert.equal(extension.body.error.code, 'NotImplementedByEmulator');
});
