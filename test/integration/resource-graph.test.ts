import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManagedIdentityCredential } from '@azure/identity';
import { ResourceGraphClient, type ResourceGraphModels } from '@azure/arm-resourcegraph';
import { call, credentialFor, tokenFor, useEmulator } from '../support/emulator.ts';
import { smallTenant } from '../support/seeds.ts';
import { BOT_CLIENT, HUMAN_ADMIN, MG_PROD, SUB_DEV, SUB_PROD, TENANT_ID, UAMI_ID, UAMI_PRINCIPAL, WEB_APP_ID } from '../support/ids.ts';

const READER_DEV = 'de000000-0000-4000-8000-000000000001';
const CUSTOM_ROLE = 'c0570000-0000-4000-8000-000000000001';
const DEV_APP_ID = `/subscriptions/${SUB_DEV}/resourceGroups/rg-dev/providers/Microsoft.Web/sites/dev-app`;
const STORAGE_ID = `/subscriptions/${SUB_PROD}/resourceGroups/rg-app/providers/Microsoft.Storage/storageAccounts/stapp`;
/** More assignments than one 1000-row page holds, so paging is exercised. */
const BULK_ASSIGNMENTS = 1150;
const bulkPrincipal = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

const base = smallTenant();
const emulator = await useEmulator({
  seed: smallTenant({
    users: [...(base.users ?? []), { id: READER_DEV, displayName: 'Dev Reader', userPrincipalName: 'dev.reader@contoso.example' }],
    resources: [
      ...(base.resources ?? []),
      { id: DEV_APP_ID, identity: { type: 'SystemAssigned' } },
      { id: STORAGE_ID, location: 'northeurope', tags: { env: 'prod' } },
    ],
    roleDefinitions: [{ id: CUSTOM_ROLE, roleName: 'ops-everything', assignableScopes: [`/subscriptions/${SUB_PROD}`], permissions: [{ actions: ['*'] }] }],
    roleAssignments: [
      ...(base.roleAssignments ?? []),
      { scope: `/subscriptions/${SUB_DEV}`, role: 'Reader', principalId: READER_DEV, principalType: 'User' },
      { scope: `/subscriptions/${SUB_PROD}/resourceGroups/rg-app`, role: 'ops-everything', principalId: UAMI_PRINCIPAL },
      ...Array.from({ length: BULK_ASSIGNMENTS }, (_, i) => ({
        scope: `/subscriptions/${i % 2 === 0 ? SUB_PROD : SUB_DEV}/resourceGroups/${i % 2 === 0 ? 'rg-app' : 'rg-dev'}`,
        role: 'Reader',
        principalId: bulkPrincipal(i),
      })),
    ],
  }),
});

const bot = new ResourceGraphClient(new ManagedIdentityCredential({ clientId: BOT_CLIENT }), { baseUri: emulator.baseUrl });

async function queryAllPages(client: ResourceGraphClient, request: ResourceGraphModels.QueryRequest): Promise<{ rows: any[]; pages: ResourceGraphModels.QueryResponse[] }> {
  const pages: ResourceGraphModels.QueryResponse[] = [];
  let skipToken: string | undefined;
  do {
    const page = await client.resources({ ...request, options: { ...request.options, ...(skipToken ? { skipToken } : {}) } });
    pages.push(page);
    skipToken = page.skipToken;
  } while (skipToken);
  return { rows: pages.flatMap((page) => page.data as any[]), pages };
}

const ROLE_ASSIGNMENTS_QUERY = `authorizationresources
| where type =~ 'microsoft.authorization/roleassignments'
| project id, name, principalId = tostring(properties.principalId), principalType = tostring(properties.principalType),
          roleDefinitionId = tostring(properties.roleDefinitionId), scope = tostring(properties.scope), condition = tostring(properties.condition)`;

test('all role assignments across subscriptions page past 1000 rows with $skipToken', async () => {
  const { rows, pages } = await queryAllPages(bot, { subscriptions: [SUB_PROD, SUB_DEV], query: ROLE_ASSIGNMENTS_QUERY, options: { top: 1000 } });
  const expected = [...emulator.core.tenant.roleAssignments.values()].filter((a) => a.scope.startsWith('/subscriptions/'));
  assert.equal(pages.length, 2);
  assert.equal(pages[0]!.count, 1000);
  assert.equal(pages[0]!.totalRecords, expected.length);
  assert.equal(pages[0]!.resultTruncated, 'false');
  assert.equal(pages[1]!.skipToken, undefined);
  assert.equal(rows.length, expected.length);
  assert.deepEqual(new Set(rows.map((r) => r.id.toLowerCase())), new Set(expected.map((a) => a.id.toLowerCase())));
  const uami = rows.find((r) => r.principalId === UAMI_PRINCIPAL && r.scope === `/subscriptions/${SUB_PROD}`);
  assert.deepEqual(Object.keys(uami), ['id', 'name', 'principalId', 'principalType', 'roleDefinitionId', 'scope', 'condition']);
  assert.equal(uami.principalType, 'ServicePrincipal');
  assert.equal(uami.roleDefinitionId, `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c`);
  assert.equal(uami.condition, '');
});

test('a tenant-scoped query adds management-group assignments the caller may read', async () => {
  const query = `authorizationresources | where type == 'microsoft.authorization/roleassignments' and tostring(properties.scope) startswith '/providers/' | project id, scope = tostring(properties.scope)`;
  const asBot = await bot.resources({ query });
  assert.deepEqual(asBot.data.map((r: any) => r.scope), [`/providers/Microsoft.Management/managementGroups/${MG_PROD}`]);
  const admin = new ResourceGraphClient(credentialFor(emulator, HUMAN_ADMIN), { baseUri: emulator.baseUrl });
  const asAdmin = await admin.resources({ query });
  assert.deepEqual(asAdmin.data.map((r: any) => r.scope).sort(), [`/providers/Microsoft.Management/managementGroups/${MG_PROD}`, `/providers/Microsoft.Management/managementGroups/${TENANT_ID}`].sort());
  const subscriptionScoped = await admin.resources({ query, subscriptions: [SUB_PROD] });
  assert.equal(subscriptionScoped.totalRecords, 0);
});

test('authorizationScopeFilter chooses assignments below, above or exactly at the requested scope', async () => {
  const scopesFor = async (authorizationScopeFilter: string) => {
    const response = await call(emulator, 'POST', '/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01', {
      token: tokenFor(emulator, HUMAN_ADMIN),
      body: {
        subscriptions: [SUB_DEV],
        query: "authorizationresources | where type =~ 'microsoft.authorization/roleassignments' | summarize count() by scope = tostring(properties.scope) | order by scope asc",
        options: { authorizationScopeFilter },
      },
    });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return Object.fromEntries(response.body.data.map((row: any) => [row.scope, row.count_]));
  };
  const subscription = `/subscriptions/${SUB_DEV}`;
  const group = `${subscription}/resourceGroups/rg-dev`;
  const managementGroup = `/providers/Microsoft.Management/managementGroups/${MG_PROD}`;
  const root = `/providers/Microsoft.Management/managementGroups/${TENANT_ID}`;
  assert.deepEqual(await scopesFor('AtScopeAndBelow'), { [subscription]: 1, [group]: BULK_ASSIGNMENTS / 2 });
  assert.deepEqual(await scopesFor('AtScopeExact'), { [subscription]: 1 });
  assert.deepEqual(await scopesFor('AtScopeAndAbove'), { [managementGroup]: 1, [root]: 1, [subscription]: 1 });
  assert.deepEqual(await scopesFor('AtScopeAboveAndBelow'), { [managementGroup]: 1, [root]: 1, [subscription]: 1, [group]: BULK_ASSIGNMENTS / 2 });
});

test('role definitions come with their permissions; built-ins once at tenant level, custom roles where defined', async () => {
  const query = `authorizationresources
| where type == 'microsoft.authorization/roledefinitions'
| project id, name, roleName = tostring(properties.roleName), roleType = tostring(properties.type), permissions = properties.permissions, assignableScopes = properties.assignableScopes
| order by roleName asc`;
  const { rows } = await queryAllPages(bot, { subscriptions: [SUB_PROD], query, options: { top: 1000 } });
  const owners = rows.filter((r) => r.roleName === 'Owner');
  assert.equal(owners.length, 1);
  assert.equal(owners[0].id, '/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635');
  assert.equal(owners[0].roleType, 'BuiltInRole');
  assert.deepEqual(owners[0].permissions[0].actions, ['*']);
  const custom = rows.find((r) => r.roleName === 'ops-everything');
  assert.equal(custom.id, `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleDefinitions/${CUSTOM_ROLE}`);
  assert.equal(custom.roleType, 'CustomRole');
  assert.deepEqual(custom.assignableScopes, [`/subscriptions/${SUB_PROD}`]);
  const names = rows.map((r) => r.roleName);
  assert.deepEqual(names, [...names].sort(), 'order by roleName asc');
  const devOnly = await bot.resources({ subscriptions: [SUB_DEV], query: `${query} | where roleType == 'CustomRole'` });
  assert.equal(devOnly.totalRecords, 0, 'a custom role defined at prod is not in a dev-scoped answer');
});

test('user-assigned identities are listed with their principal and client ids', async () => {
  const response = await bot.resources({
    query: `Resources | where type =~ 'Microsoft.ManagedIdentity/userAssignedIdentities' | project id, name, type, resourceGroup, principalId = tostring(properties.principalId), clientId = tostring(properties.clientId)`,
  });
  const uami = (response.data as any[]).find((r) => r.name === 'uami-app');
  assert.equal(response.totalRecords, 2);
  // As the MSI resource provider answers: `resourcegroups` in lower case.
  assert.equal(uami.id, UAMI_ID.replace('/resourceGroups/', '/resourcegroups/'));
  assert.equal(uami.type, 'microsoft.managedidentity/userassignedidentities');
  assert.equal(uami.resourceGroup, 'rg-app');
  assert.equal(uami.principalId, UAMI_PRINCIPAL);
  assert.equal(uami.clientId, emulator.core.tenant.userAssignedIdentity(UAMI_ID)!.clientId);
});

test('resources with an identity expand their user-assigned identity keys with mv-expand bag_keys', async () => {
  const response = await bot.resources({
    query: `resources
| where isnotempty(identity)
| mv-expand uai = bag_keys(identity.userAssignedIdentities)
| project id, identityType = tostring(identity.type), systemPrincipal = tostring(identity.principalId), uai = tostring(uai)`,
  });
  const rows = response.data as any[];
  assert.deepEqual(
    rows.map((r) => [r.id, r.identityType, r.uai]),
    [
      [WEB_APP_ID, 'SystemAssigned,UserAssigned', UAMI_ID],
      [DEV_APP_ID, 'SystemAssigned', ''],
    ],
  );
  assert.equal(rows[1].systemPrincipal, emulator.core.tenant.resource(DEV_APP_ID)!.identity!.principalId);

  const consumers = await bot.resources({
    query: `Resources
| where isnotempty(identity.userAssignedIdentities)
| mv-expand uai = bag_keys(identity.userAssignedIdentities)
| where tolower(tostring(uai)) == tolower('${UAMI_ID.toUpperCase()}')
| project id, name, type, resourceGroup, subscriptionId`,
  });
  assert.deepEqual(consumers.data, [{ id: WEB_APP_ID, name: 'app1', type: 'microsoft.web/sites', resourceGroup: 'rg-app', subscriptionId: SUB_PROD }]);
});

test('resourcecontainers lists subscriptions and resource groups', async () => {
  const response = await bot.resources({
    query: `resourcecontainers | where type in~ ('Microsoft.Resources/subscriptions', 'microsoft.resources/subscriptions/resourcegroups') | project id, name, type, subscriptionId, chain = properties.managementGroupAncestorsChain`,
    subscriptions: [SUB_DEV],
  });
  assert.deepEqual(
    (response.data as any[]).map((r) => [r.type, r.name]),
    [
      ['microsoft.resources/subscriptions', 'dev'],
      ['microsoft.resources/subscriptions/resourcegroups', 'rg-dev'],
    ],
  );
  assert.deepEqual((response.data as any[])[0].chain.map((g: any) => g.name), [MG_PROD, TENANT_ID]);
});

test('a caller with Reader on one subscription sees rows from that subscription only', async () => {
  const devReader = new ResourceGraphClient(credentialFor(emulator, READER_DEV), { baseUri: emulator.baseUrl });
  const resources = await devReader.resources({ subscriptions: [SUB_PROD, SUB_DEV], query: 'resources | project id, subscriptionId' });
  assert.deepEqual((resources.data as any[]).map((r) => r.id), [DEV_APP_ID]);
  const summary = await devReader.resources({ query: 'authorizationresources | where type =~ "microsoft.authorization/roleassignments" | summarize count() by subscriptionId' });
  assert.deepEqual(summary.data, [{ subscriptionId: SUB_DEV, count_: BULK_ASSIGNMENTS / 2 + 1 }]);
});

test('a query outside the subset is refused with ARG’s error shape, naming the construct', async () => {
  await assert.rejects(
    bot.resources({ query: 'resources | join kind=inner (resourcecontainers) on subscriptionId' }),
    (error: any) => {
      assert.equal(error.statusCode, 400);
      assert.equal(error.code, 'BadRequest');
      assert.deepEqual(error.body.error.details.map((d: any) => d.code), ['InvalidQuery', 'UnsupportedOperator']);
      return true;
    },
  );
  const token = tokenFor(emulator, HUMAN_ADMIN);
  const raw = await call(emulator, 'POST', '/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01', {
    token,
    body: { query: 'resources\n| where name has "x"\n| join (resourcecontainers) on subscriptionId' },
  });
  assert.equal(raw.status, 400);
  assert.equal(raw.body.error.code, 'BadRequest');
  assert.match(raw.body.error.message, /^Please provide below info when asking for support: timestamp = .*, correlationId = .*\.$/);
  assert.equal(raw.body.error.details[0].code, 'InvalidQuery');
  assert.deepEqual(
    { ...raw.body.error.details[1], message: undefined },
    { code: 'UnsupportedOperator', message: undefined, line: 3, characterPositionInLine: 2, token: 'join' },
  );
  assert.match(raw.body.error.details[1].message, /'join' is not supported/);

  const unknownFunction = await call(emulator, 'POST', '/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01', {
    token,
    body: { query: 'resources | where strlen(name) > 0' },
  });
  assert.equal(unknownFunction.body.error.details[1].code, 'UnsupportedFunction');
  assert.equal(unknownFunction.body.error.details[1].token, 'strlen');
  const unknownColumn = await call(emulator, 'POST', '/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01', {
    token,
    body: { query: 'resources | project Name' },
  });
  assert.equal(unknownColumn.body.error.details[1].code, 'UnknownColumn');
  assert.match(unknownColumn.body.error.details[1].message, /did you mean 'name'/);
});

test('without id in the projection there is no $skipToken, only resultTruncated "true"; table format is available', async () => {
  const response = await bot.resources({ query: ROLE_ASSIGNMENTS_QUERY.replace('project id, name,', 'project name,'), options: { top: 5 } });
  assert.equal(response.count, 5);
  assert.equal(response.resultTruncated, 'true');
  assert.equal(response.skipToken, undefined);
  const table = await bot.resources({ query: 'resources | project id, name, tags | order by name asc | take 2', options: { resultFormat: 'table' } });
  assert.deepEqual((table.data as any).columns, [
    { name: 'id', type: 'string' },
    { name: 'name', type: 'string' },
    { name: 'tags', type: 'object' },
  ]);
  assert.deepEqual((table.data as any).rows.map((r: unknown[]) => r[1]), ['app1', 'dev-app']);
});

test('$skip offsets the answer; a $skipToken replayed with another query is refused', async () => {
  const first = await bot.resources({ query: 'resources | project id', options: { top: 2 } });
  const skipped = await bot.resources({ query: 'resources | project id', options: { top: 2, skip: 1 } });
  assert.equal((skipped.data as any[])[0].id, (first.data as any[])[1].id);
  assert.ok(first.skipToken);
  await assert.rejects(bot.resources({ query: 'resources | project id, name', options: { skipToken: first.skipToken } }), (error: any) => {
    assert.equal(error.statusCode, 400);
    assert.equal(error.body.error.details[0].code, 'InvalidSkipToken');
    return true;
  });
});

test('every documented api-version is accepted; others and anonymous callers are refused', async () => {
  const token = tokenFor(emulator, HUMAN_ADMIN);
  for (const version of ['2021-03-01', '2022-10-01', '2024-04-01']) {
    const response = await call(emulator, 'POST', `/providers/Microsoft.ResourceGraph/resources?api-version=${version}`, { token, body: { query: 'resources | count' } });
    assert.equal(response.status, 200, version);
    assert.deepEqual(response.body.data, [{ Count: 5 }]);
  }
  const old = await call(emulator, 'POST', '/providers/Microsoft.ResourceGraph/resources?api-version=2019-04-01', { token, body: { query: 'resources' } });
  assert.equal(old.status, 400);
  assert.equal(old.body.error.code, 'InvalidApiVersionParameter');
  const anonymous = await call(emulator, 'POST', '/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01', { body: { query: 'resources' } });
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.body.error.code, 'AuthenticationFailed');
});
