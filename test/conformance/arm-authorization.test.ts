import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTenant } from '../../emulator/seed/load.ts';
import type { SeedInput } from '../../emulator/seed/schema.ts';
import { call, tokenFor, useEmulator } from '../support/emulator.ts';
import { officialFixture, officialFixturesMissing } from '../support/official-fixtures.ts';
import { assertSameShape, shapeDifferences, type ShapeOptions } from '../support/shape.ts';
import { BOT_CLIENT, BOT_PRINCIPAL, HUMAN_ADMIN, TENANT_ID } from '../support/ids.ts';

/**
 * The Microsoft.Authorization 2022-04-01 examples of azure-rest-api-specs, replayed against a tenant
 * seeded with the examples' own subscription, resource group, resource, principal and assignment names.
 * Responses must have the example's status and shape; values (timestamps, role ids) may differ.
 */
const SUB = 'a925f2f7-5c63-4b7b-8799-25a5f97bc3b2';
const RG = `/subscriptions/${SUB}/resourceGroups/testrg`;
const DB_ACCOUNT = `${RG}/providers/Microsoft.DocumentDb/databaseAccounts/test-db-account`;
const USER = 'ce2ce14e-85d7-4629-bdbc-454d0519d987';
const EXAMPLE_ROLE = '0b5fe924-9a61-425c-96af-cfe6e287ca2d';
/** Stands in for the role-definition examples' placeholders ("scope", "roleDefinitionId"). */
const PLACEHOLDER_ROLE = 'f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b';
const API = 'api-version=2022-04-01';

const exampleRole = { id: EXAMPLE_ROLE, roleName: 'example role', assignableScopes: [`/subscriptions/${SUB}`], permissions: [{ actions: ['*/read'] }] };
const placeholderRole = {
  id: PLACEHOLDER_ROLE,
  roleName: 'Role name',
  description: 'Role description',
  assignableScopes: [`/subscriptions/${SUB}`],
  permissions: [{ actions: ['action'], notActions: [], dataActions: ['dataAction'], notDataActions: [] }],
};

function seed(withAssignments: boolean): SeedInput {
  const assignment = (name: string, scope: string) => ({ name, scope, role: EXAMPLE_ROLE, principalId: USER, principalType: 'User' as const });
  return {
    schemaVersion: 1,
    tenantId: TENANT_ID,
    subscriptions: [{ subscriptionId: SUB, displayName: 'example', resourceGroups: ['testrg'] }],
    resources: [{ id: DB_ACCOUNT }],
    users: [
      { id: USER, displayName: 'Example User', userPrincipalName: 'example.user@contoso.example' },
      { id: HUMAN_ADMIN, displayName: 'Ops Admin', userPrincipalName: 'ops.admin@contoso.example' },
    ],
    servicePrincipals: [{ id: BOT_PRINCIPAL, appId: BOT_CLIENT, displayName: 'idwarden' }],
    roleDefinitions: [exampleRole, placeholderRole],
    roleAssignments: [
      { scope: `/providers/Microsoft.Management/managementGroups/${TENANT_ID}`, role: 'Owner', principalId: HUMAN_ADMIN, principalType: 'User' },
      ...(withAssignments
        ? [
            assignment('b0f43c54-e787-4862-89b1-a653fa9cf747', `/subscriptions/${SUB}`),
            assignment('96786e4b-dede-4c2e-8736-8ab911987f08', RG),
            assignment('05c5a614-a7d6-4502-b150-c2fb455033ff', DB_ACCOUNT),
          ]
        : []),
    ],
    bot: { principalId: BOT_PRINCIPAL, clientId: BOT_CLIENT },
  };
}

const emulator = await useEmulator({ seed: seed(true) });
/** Each example starts from the tenant it describes. */
const reseed = (withAssignments: boolean) => (emulator.core.tenant = buildTenant(seed(withAssignments)));
const send = (method: string, path: string, body?: unknown) => call(emulator, method, `${path}?${API}`, { token: tokenFor(emulator, HUMAN_ADMIN), ...(body ? { body } : {}) });

/** Properties the 2022-04-01 schema defines that the examples leave out. */
const ASSIGNMENT_EXTRAS = ['condition', 'conditionVersion', 'createdOn', 'updatedOn', 'createdBy', 'updatedBy', 'delegatedManagedIdentityResourceId', 'description'];
const DEFINITION_EXTRAS = ['createdOn', 'updatedOn', 'createdBy', 'updatedBy'];

/** Shape options for one item, at the root (`''`) or inside a list (`'value[].'`). */
function itemOptions(prefix: string, extras: string[], enums: Record<string, readonly unknown[]> = {}): ShapeOptions {
  return {
    extraKeys: extras.map((key) => `${prefix}properties.${key}`),
    sameValue: [`${prefix}type`],
    enums: Object.fromEntries(Object.entries(enums).map(([path, values]) => [`${prefix}${path}`, values])),
  };
}
const assignmentOptions = (prefix = '') => itemOptions(prefix, ASSIGNMENT_EXTRAS, { 'properties.principalType': ['User', 'Group', 'ServicePrincipal', 'ForeignGroup', 'Device'] });
/** The role-definition examples carry a placeholder `type` ("roletype"), so the enum is checked apart from the shape. */
const definitionOptions = (prefix = '') => itemOptions(prefix, DEFINITION_EXTRAS);

function assertExample(response: { status: number; body: unknown }, example: { responses: Record<string, { body?: unknown }> }, status: number, options: ShapeOptions, what: string) {
  assert.equal(response.status, status, `${what}: ${JSON.stringify(response.body)}`);
  const expected = example.responses[String(status)];
  assert.ok(expected, `${what}: the example documents ${status}`);
  if (expected.body === undefined) assert.equal(response.body, undefined, `${what}: no body`);
  else assertSameShape(response.body, expected.body, options, what);
}

const listPath = (scope: string) => `${scope}/providers/Microsoft.Authorization/roleAssignments`;
const fixture = (name: string) => officialFixture(`arm-authorization/${name}`);

test('RoleAssignments list examples: for subscription, resource group, resource and scope', { skip: officialFixturesMissing }, async () => {
  reseed(true);
  const cases: [string, string][] = [
    ['RoleAssignments_ListForSubscription.json', `/subscriptions/${SUB}`],
    ['RoleAssignments_ListForResourceGroup.json', RG],
    ['RoleAssignments_ListForResource.json', DB_ACCOUNT],
    ['RoleAssignments_ListForScope.json', `/${fixture('RoleAssignments_ListForScope.json').parameters.scope}`],
  ];
  for (const [file, scope] of cases) {
    const response = await send('GET', listPath(scope));
    assertExample(response, fixture(file), 200, assignmentOptions('value[].'), file);
    assert.ok((response.body as { value: unknown[] }).value.length >= 1, `${file}: lists something`);
  }
});

test('RoleAssignments_Get and _GetById examples', { skip: officialFixturesMissing }, async () => {
  reseed(true);
  const get = fixture('RoleAssignments_Get.json');
  const byScope = await send('GET', `/${get.parameters.scope}/providers/Microsoft.Authorization/roleAssignments/${get.parameters.roleAssignmentName}`);
  assertExample(byScope, get, 200, { ...assignmentOptions(), sameValue: ['type', 'id', 'name', 'properties.principalId', 'properties.scope'] }, 'RoleAssignments_Get');
  const getById = fixture('RoleAssignments_GetById.json');
  const byId = await send('GET', `/${getById.parameters.roleAssignmentId}`);
  assertExample(byId, getById, 200, { ...assignmentOptions(), sameValue: ['type', 'id', 'name'] }, 'RoleAssignments_GetById');
});

test('RoleAssignments create examples: 201 for a new assignment, 200 for the same one again', { skip: officialFixturesMissing }, async () => {
  for (const file of ['RoleAssignments_CreateForSubscription.json', 'RoleAssignments_CreateForResourceGroup.json', 'RoleAssignments_CreateForResource.json', 'RoleAssignments_CreateById.json']) {
    reseed(false);
    const example = fixture(file);
    const target = example.parameters.roleAssignmentId ?? `${example.parameters.scope}/providers/Microsoft.Authorization/roleAssignments/${example.parameters.roleAssignmentName}`;
    const created = await send('PUT', `/${target}`, example.parameters.parameters);
    assertExample(created, example, 201, { ...assignmentOptions(), sameValue: ['type', 'id', 'name', 'properties.scope'] }, `${file} (new)`);
    const again = await send('PUT', `/${target}`, example.parameters.parameters);
    assertExample(again, example, 200, assignmentOptions(), `${file} (again)`);
  }
});

test('RoleAssignments_Delete and _DeleteById examples: 200 with the assignment, then 204', { skip: officialFixturesMissing }, async () => {
  for (const file of ['RoleAssignments_Delete.json', 'RoleAssignments_DeleteById.json']) {
    reseed(true);
    const example = fixture(file);
    const target = example.parameters.roleAssignmentId ?? `${example.parameters.scope}/providers/Microsoft.Authorization/roleAssignments/${example.parameters.roleAssignmentName}`;
    assertExample(await send('DELETE', `/${target}`), example, 200, assignmentOptions(), `${file} (present)`);
    assertExample(await send('DELETE', `/${target}`), example, 204, {}, `${file} (gone)`);
  }
});

test('RoleDefinitions examples: list at scope, get by name, get by id', { skip: officialFixturesMissing }, async () => {
  reseed(true);
  const list = await send('GET', `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions`);
  assertExample(list, fixture('GetRoleDefinitionAtScope.json'), 200, definitionOptions('value[].'), 'GetRoleDefinitionAtScope');
  const types = new Set((list.body as { value: { properties: { type: string } }[] }).value.map((item) => item.properties.type));
  assert.deepEqual([...types].sort(), ['BuiltInRole', 'CustomRole']);

  const byName = await send('GET', `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${PLACEHOLDER_ROLE}`);
  assertExample(byName, fixture('GetRoleDefinitionByName.json'), 200, definitionOptions(), 'GetRoleDefinitionByName');
  const expected = fixture('GetRoleDefinitionByName.json').responses['200'].body.properties;
  const actual = (byName.body as { properties: Record<string, unknown> }).properties;
  assert.deepEqual(
    { roleName: actual['roleName'], description: actual['description'], permissions: actual['permissions'] },
    { roleName: expected.roleName, description: expected.description, permissions: expected.permissions },
    'the seeded stand-in carries the example values',
  );

  const byId = await send('GET', `/providers/Microsoft.Authorization/roleDefinitions/${PLACEHOLDER_ROLE}`);
  assertExample(byId, fixture('GetRoleDefinitionById.json'), 200, definitionOptions(), 'GetRoleDefinitionById');
});

test('RoleDefinitions examples: create (201) and delete (200, then 204)', { skip: officialFixturesMissing }, async () => {
  reseed(true);
  const put = fixture('PutRoleDefinition.json');
  // As published the example nests the definition flat under body.roleDefinition; ARM takes it under properties.
  const { roleName, description, permissions } = put.parameters.body.roleDefinition;
  const id = 'a1b2c3d4-e5f6-4789-8abc-def012345678';
  const created = await send('PUT', `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${id}`, {
    properties: { roleName: `${roleName} 2`, description, permissions, assignableScopes: [`/subscriptions/${SUB}`] },
  });
  assertExample(created, put, 201, definitionOptions(), 'PutRoleDefinition');
  assert.equal((created.body as { properties: { type: string } }).properties.type, 'CustomRole');

  const remove = fixture('DeleteRoleDefinition.json');
  assertExample(await send('DELETE', `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${id}`), remove, 200, definitionOptions(), 'DeleteRoleDefinition (present)');
  assertExample(await send('DELETE', `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${id}`), remove, 204, {}, 'DeleteRoleDefinition (gone)');
});

test('the shape check itself catches missing, extra, retyped and out-of-enum members', () => {
  const example = { value: [{ id: 'x', properties: { principalType: 'User', count: 1 } }], nextLink: 'n' };
  const options: ShapeOptions = { enums: { 'value[].properties.principalType': ['User', 'Group'] }, optional: ['nextLink'] };
  assert.deepEqual(shapeDifferences({ value: [{ id: 'y', properties: { principalType: 'Group', count: 2 } }] }, example, options), []);
  assert.deepEqual(shapeDifferences({ value: [{ id: 1, properties: { principalType: 'App', count: 2, extra: true } }] }, example, options), [
    'value[].id: number where the example has string',
    'value[].properties.principalType: "App" is not one of ["User","Group"]',
    'value[].properties.extra: not in the example',
  ]);
  assert.deepEqual(shapeDifferences({ value: [{ properties: { principalType: 'User', count: 1 } }] }, example), ['value[].id: missing (the example has string)', 'nextLink: missing (the example has string)']);
  assert.deepEqual(shapeDifferences({ tags: { a: 1 } }, { tags: { k: 'v' } }, { maps: ['tags'] }), ['tags.a: number where the example has string']);
  assert.throws(() => assertSameShape({ type: 'a' }, { type: 'b' }, { sameValue: ['type'] }), /type: "a" where the example has "b"/);
});
