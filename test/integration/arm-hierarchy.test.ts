import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ArmOperation } from '../../emulator/arm/operations.ts';
import { call, tokenFor, useEmulator } from '../support/emulator.ts';
import { smallTenant } from '../support/seeds.ts';
import { APP_PRINCIPAL, BOT_PRINCIPAL, HUMAN_ADMIN, MG_PROD, SUB_DEV, SUB_PROD, TENANT_ID, UAMI_ID, WEB_APP_ID } from '../support/ids.ts';

const MG_TEAM = 'mg-team';
const base = smallTenant();
const emulator = await useEmulator({
  seed: smallTenant({
    managementGroups: [
      { name: MG_PROD, parent: null, subscriptions: [SUB_PROD] },
      { name: MG_TEAM, displayName: 'Team', parent: MG_PROD, subscriptions: [SUB_DEV] },
    ],
    roleAssignments: [...base.roleAssignments!, { scope: `/subscriptions/${SUB_PROD}/resourceGroups/rg-app`, role: 'Reader', principalId: APP_PRINCIPAL }],
  }),
});

const asAdmin = () => ({ token: tokenFor(emulator, HUMAN_ADMIN) });
const asBot = () => ({ token: tokenFor(emulator, BOT_PRINCIPAL) });
const asApp = () => ({ token: tokenFor(emulator, APP_PRINCIPAL) });
const SUBSCRIPTIONS_API = 'api-version=2022-12-01';
const RESOURCES_API = 'api-version=2021-04-01';
const GROUPS_API = 'api-version=2023-04-01';

test('subscriptions: each caller lists those it has access in, and another is 404', async () => {
  const forBot = await call(emulator, 'GET', `/subscriptions?${SUBSCRIPTIONS_API}`, asBot());
  assert.equal(forBot.status, 200);
  assert.deepEqual(forBot.body.value.map((subscription: { subscriptionId: string }) => subscription.subscriptionId).sort(), [SUB_PROD, SUB_DEV].sort());
  const prod = forBot.body.value.find((subscription: { subscriptionId: string }) => subscription.subscriptionId === SUB_PROD);
  assert.deepEqual(
    { id: prod.id, tenantId: prod.tenantId, displayName: prod.displayName, state: prod.state, authorizationSource: prod.authorizationSource },
    { id: `/subscriptions/${SUB_PROD}`, tenantId: TENANT_ID, displayName: 'prod', state: 'Enabled', authorizationSource: 'RoleBased' },
  );

  const forApp = await call(emulator, 'GET', `/subscriptions?api-version=2020-01-01`, asApp());
  assert.deepEqual(
    forApp.body.value.map((subscription: { subscriptionId: string }) => subscription.subscriptionId),
    [SUB_PROD],
    'Reader on a resource group is enough to see its subscription',
  );
  const hidden = await call(emulator, 'GET', `/subscriptions/${SUB_DEV}?${SUBSCRIPTIONS_API}`, asApp());
  assert.equal(hidden.status, 404);
  assert.equal(hidden.body.error.code, 'SubscriptionNotFound');
});

test('resource groups: list, create (201), update (200), a move is 409, and get', async () => {
  const created = await call(emulator, 'PUT', `/subscriptions/${SUB_DEV}/resourcegroups/rg-new?${RESOURCES_API}`, { ...asAdmin(), body: { location: 'North Europe', tags: { env: 'dev' } } });
  assert.equal(created.status, 201);
  assert.deepEqual(created.body, {
    id: `/subscriptions/${SUB_DEV}/resourceGroups/rg-new`,
    name: 'rg-new',
    type: 'Microsoft.Resources/resourceGroups',
    location: 'northeurope',
    tags: { env: 'dev' },
    properties: { provisioningState: 'Succeeded' },
  });
  const updated = await call(emulator, 'PUT', `/subscriptions/${SUB_DEV}/resourceGroups/rg-new?${RESOURCES_API}`, { ...asAdmin(), body: { location: 'northeurope', tags: {} } });
  assert.equal(updated.status, 200);
  const moved = await call(emulator, 'PUT', `/subscriptions/${SUB_DEV}/resourceGroups/rg-new?${RESOURCES_API}`, { ...asAdmin(), body: { location: 'eastus' } });
  assert.equal(moved.status, 409);
  assert.equal(moved.body.error.code, 'InvalidResourceGroupLocation');

  const list = await call(emulator, 'GET', `/subscriptions/${SUB_DEV}/resourcegroups?${RESOURCES_API}`, asBot());
  assert.deepEqual(list.body.value.map((group: { name: string }) => group.name).sort(), ['rg-dev', 'rg-new']);
  const denied = await call(emulator, 'PUT', `/subscriptions/${SUB_DEV}/resourceGroups/rg-bot?${RESOURCES_API}`, { ...asBot(), body: { location: 'westeurope' } });
  assert.equal(denied.status, 403);
  assert.equal(denied.body.error.code, 'AuthorizationFailed');
  const missing = await call(emulator, 'GET', `/subscriptions/${SUB_DEV}/resourceGroups/rg-nope?${RESOURCES_API}`, asBot());
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'ResourceGroupNotFound');
});

test('deleting a resource group answers 202 with a Location that reports success, and takes its contents along', async () => {
  const group = `/subscriptions/${SUB_PROD}/resourceGroups/rg-app`;
  const uamiPrincipal = emulator.core.tenant.userAssignedIdentity(UAMI_ID)!.principalId;
  const sitePrincipal = emulator.core.tenant.resource(WEB_APP_ID)!.identity!.principalId!;
  const operations: ArmOperation[] = [];
  const unsubscribe = emulator.core.armOperations.subscribe((operation) => operations.push(operation));
  try {
    const deleted = await call(emulator, 'DELETE', `${group}?${RESOURCES_API}`, asAdmin());
    assert.equal(deleted.status, 202);
    const location = deleted.headers.get('location')!;
    assert.ok(location.startsWith(`${emulator.baseUrl}/subscriptions/${SUB_PROD}/operationresults/`), location);
    const result = await call(emulator, 'GET', location.slice(emulator.baseUrl.length), asAdmin());
    assert.equal(result.status, 200);
    const again = await call(emulator, 'DELETE', `${group}?${RESOURCES_API}`, asAdmin());
    assert.equal(again.status, 404);
    assert.equal(again.body.error.code, 'ResourceGroupNotFound');
  } finally {
    unsubscribe();
  }
  const tenant = emulator.core.tenant;
  assert.equal(tenant.userAssignedIdentity(UAMI_ID), undefined);
  assert.equal(tenant.resource(WEB_APP_ID), undefined);
  assert.equal(tenant.servicePrincipals.has(uamiPrincipal.toLowerCase()), false);
  assert.equal(tenant.servicePrincipals.has(sitePrincipal.toLowerCase()), false);
  assert.deepEqual([...tenant.roleAssignments.values()].filter((assignment) => tenant.isWithin(assignment.scope, group)), [], 'its role assignments went too');
  assert.deepEqual(
    operations.map((operation) => [operation.operationName, operation.resourceId]),
    [['Microsoft.Resources/subscriptions/resourceGroups/delete', group]],
  );
});

test('resource lists cover generic resources and identities, filter by type, page with $top, and refuse other filters', async () => {
  const list = await call(emulator, 'GET', `/subscriptions/${SUB_PROD}/resources?${RESOURCES_API}&$expand=createdTime`, asBot());
  assert.equal(list.status, 200);
  assert.deepEqual(
    list.body.value.map((resource: { type: string; name: string }) => `${resource.type}/${resource.name}`),
    ['Microsoft.ManagedIdentity/userAssignedIdentities/idwarden'],
    'rg-app went with the previous test',
  );
  assert.match(list.body.value[0].createdTime, /^2026-01-02T00:00:00\.0000000Z$/);

  const site = await call(emulator, 'PUT', `/subscriptions/${SUB_DEV}/resourceGroups/rg-dev/providers/Microsoft.Web/sites/dev-app?api-version=2023-12-01`, {
    ...asAdmin(),
    body: { location: 'westeurope', identity: { type: 'SystemAssigned' } },
  });
  assert.equal(site.status, 201);
  await call(emulator, 'PUT', `/subscriptions/${SUB_DEV}/resourceGroups/rg-dev/providers/Microsoft.ManagedIdentity/userAssignedIdentities/dev-uami?api-version=2024-11-30`, {
    ...asAdmin(),
    body: { location: 'westeurope' },
  });
  const sites = await call(emulator, 'GET', `/subscriptions/${SUB_DEV}/resourceGroups/rg-dev/resources?${RESOURCES_API}&$filter=resourceType eq 'microsoft.web/sites'`, asBot());
  assert.deepEqual(
    sites.body.value.map((resource: { name: string; identity?: { type: string } }) => [resource.name, resource.identity?.type]),
    [['dev-app', 'SystemAssigned']],
  );
  const firstPage = await call(emulator, 'GET', `/subscriptions/${SUB_DEV}/resources?${RESOURCES_API}&$top=1`, asBot());
  assert.equal(firstPage.body.value.length, 1);
  const secondPage = await call(emulator, 'GET', firstPage.body.nextLink.slice(emulator.baseUrl.length), asBot());
  assert.equal(secondPage.body.value.length, 1);
  assert.notEqual(secondPage.body.value[0].id, firstPage.body.value[0].id);

  const unsupported = await call(emulator, 'GET', `/subscriptions/${SUB_DEV}/resources?${RESOURCES_API}&$filter=tagName eq 'env'`, asBot());
  assert.equal(unsupported.status, 501);
  assert.equal(unsupported.body.error.code, 'NotImplementedByEmulator');
});

test('management groups: the list, one group with its children (recursively), and its descendants', async () => {
  const list = await call(emulator, 'GET', `/providers/Microsoft.Management/managementGroups?${GROUPS_API}`, asBot());
  assert.deepEqual(list.body.value.map((group: { name: string }) => group.name).sort(), [MG_PROD, MG_TEAM], 'the bot reads mg-prod and below, not the root');
  const forAdmin = await call(emulator, 'GET', `/providers/Microsoft.Management/managementGroups?api-version=2021-04-01`, asAdmin());
  assert.equal(forAdmin.body.value.length, 3);

  const plain = await call(emulator, 'GET', `/providers/Microsoft.Management/managementGroups/${MG_PROD}?${GROUPS_API}`, asBot());
  assert.deepEqual(plain.body.properties.details.parent, { id: `/providers/Microsoft.Management/managementGroups/${TENANT_ID}`, name: TENANT_ID, displayName: 'Tenant Root Group' });
  assert.equal(plain.body.properties.children, undefined);

  const tree = await call(emulator, 'GET', `/providers/Microsoft.Management/managementGroups/${MG_PROD}?${GROUPS_API}&$expand=children&$recurse=true`, asBot());
  assert.deepEqual(tree.body.properties.children, [
    {
      id: `/providers/Microsoft.Management/managementGroups/${MG_TEAM}`,
      type: 'Microsoft.Management/managementGroups',
      name: MG_TEAM,
      displayName: 'Team',
      children: [{ id: `/subscriptions/${SUB_DEV}`, type: '/subscriptions', name: SUB_DEV, displayName: 'dev' }],
    },
    { id: `/subscriptions/${SUB_PROD}`, type: '/subscriptions', name: SUB_PROD, displayName: 'prod' },
  ]);

  const descendants = await call(emulator, 'GET', `/providers/Microsoft.Management/managementGroups/${MG_PROD}/descendants?${GROUPS_API}`, asBot());
  assert.deepEqual(
    descendants.body.value.map((item: { type: string; name: string; properties: { parent: { id: string } } }) => [item.type, item.name, item.properties.parent.id.split('/').pop()]),
    [
      ['Microsoft.Management/managementGroups', MG_TEAM, MG_PROD],
      ['Microsoft.Management/managementGroups/subscriptions', SUB_PROD, MG_PROD],
      ['Microsoft.Management/managementGroups/subscriptions', SUB_DEV, MG_TEAM],
    ],
  );

  const root = await call(emulator, 'GET', `/providers/Microsoft.Management/managementGroups/${TENANT_ID}?${GROUPS_API}`, asBot());
  assert.equal(root.status, 403);
  assert.equal(root.body.error.code, 'AuthorizationFailed');
  const unknown = await call(emulator, 'GET', `/providers/Microsoft.Management/managementGroups/mg-nope?${GROUPS_API}`, asAdmin());
  assert.equal(unknown.status, 404);
  const path = await call(emulator, 'GET', `/providers/Microsoft.Management/managementGroups/${MG_PROD}?${GROUPS_API}&$expand=path`, asBot());
  assert.equal(path.status, 501);
});
