import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTenant } from '../../emulator/seed/load.ts';
import type { SeedInput } from '../../emulator/seed/schema.ts';
import { call, tokenFor, useEmulator } from '../support/emulator.ts';
import { officialFixture, officialFixturesMissing } from '../support/official-fixtures.ts';
import { assertSameShape, type ShapeOptions } from '../support/shape.ts';
import { BOT_CLIENT, BOT_PRINCIPAL, HUMAN_ADMIN, TENANT_ID } from '../support/ids.ts';

/**
 * The Microsoft.ManagedIdentity 2024-11-30 examples of azure-rest-api-specs (the version
 * @azure/arm-msi 2.2.0 sends), replayed against a tenant with the examples' subscription, resource
 * group and identity names. Lists are paged so that, like the examples, they carry a nextLink.
 */
const VERSION = '2024-11-30';
const example = (name: string) => officialFixture(`arm-msi/${VERSION}/${name}`);
const SUB = '12345678-1234-5678-9012-123456789012';
const GROUP = 'rgName';
const IDENTITIES = `/subscriptions/${SUB}/resourceGroups/${GROUP}/providers/Microsoft.ManagedIdentity/userAssignedIdentities`;

function seed(): SeedInput {
  const identity = (name: string) => ({ id: `${IDENTITIES}/${name}`, location: 'eastus', tags: { key1: 'value1', key2: 'value2' } });
  return {
    schemaVersion: 1,
    tenantId: TENANT_ID,
    subscriptions: [{ subscriptionId: SUB, displayName: 'example', resourceGroups: [GROUP] }],
    userAssignedIdentities: [identity('resourceName'), identity('identityName')],
    users: [{ id: HUMAN_ADMIN, displayName: 'Ops Admin', userPrincipalName: 'ops.admin@contoso.example' }],
    servicePrincipals: [{ id: BOT_PRINCIPAL, appId: BOT_CLIENT, displayName: 'idwarden' }],
    roleAssignments: [{ scope: `/subscriptions/${SUB}`, role: 'Owner', principalId: HUMAN_ADMIN, principalType: 'User' }],
    bot: { principalId: BOT_PRINCIPAL, clientId: BOT_CLIENT },
  };
}

const emulator = await useEmulator({ seed: seed() });
const send = (method: string, path: string, body?: unknown) =>
  call(emulator, method, `${path}${path.includes('?') ? '&' : '?'}api-version=${VERSION}`, { token: tokenFor(emulator, HUMAN_ADMIN), ...(body ? { body } : {}) });

/** `systemData` is part of every ARM tracked resource in the 2024-11-30 schema; the examples leave it out. */
function identityOptions(prefix: string): ShapeOptions {
  return {
    sameValue: [`${prefix}type`],
    maps: [`${prefix}tags`],
    enums: { [`${prefix}properties.isolationScope`]: ['None', 'Regional'] },
    extraKeys: [`${prefix}systemData`],
  };
}

function assertExample(response: { status: number; body: unknown }, fixture: { responses: Record<string, { body?: unknown }> }, status: number, options: ShapeOptions, what: string) {
  assert.equal(response.status, status, `${what}: ${JSON.stringify(response.body)}`);
  const documented = fixture.responses[String(status)];
  assert.ok(documented, `${what}: the example documents ${status}`);
  if (documented.body === undefined) assert.equal(response.body, undefined, `${what}: no body`);
  else assertSameShape(response.body, documented.body, options, what);
}

/** ids come back with `resourcegroups` in lower case, as in the examples. */
const assertLowercaseGroups = (id: string, what: string) => assert.match(id, /\/resourcegroups\//, what);

test('IdentityGet', { skip: officialFixturesMissing }, async () => {
  emulator.core.tenant = buildTenant(seed());
  const fixture = example('IdentityGet.json');
  const response = await send('GET', `/subscriptions/${fixture.parameters.subscriptionId}/resourceGroups/${fixture.parameters.resourceGroupName}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${fixture.parameters.resourceName}`);
  assertExample(response, fixture, 200, identityOptions(''), 'IdentityGet');
  assertLowercaseGroups((response.body as { id: string }).id, 'IdentityGet');
});

test('IdentityListBySubscription and IdentityListByResourceGroup, with a nextLink', { skip: officialFixturesMissing }, async () => {
  emulator.core.tenant = buildTenant(seed());
  const sizes = emulator.core.armPageSizes;
  const saved = sizes.userAssignedIdentities;
  sizes.userAssignedIdentities = 1;
  try {
    for (const [file, path] of [
      ['IdentityListBySubscription.json', `/subscriptions/${SUB}/providers/Microsoft.ManagedIdentity/userAssignedIdentities`],
      ['IdentityListByResourceGroup.json', IDENTITIES],
    ] as const) {
      const response = await send('GET', path);
      assertExample(response, example(file), 200, identityOptions('value[].'), file);
      const { nextLink, value } = response.body as { nextLink: string; value: { id: string }[] };
      assertLowercaseGroups(value[0]!.id, file);
      assert.match(nextLink, new RegExp(`\\?api-version=${VERSION}&\\$skiptoken=`), `${file}: nextLink like the example's`);
    }
  } finally {
    sizes.userAssignedIdentities = saved;
  }
});

test('IdentityCreate: 201 for a new identity, 200 for the same one again', { skip: officialFixturesMissing }, async () => {
  emulator.core.tenant = buildTenant(seed());
  const fixture = example('IdentityCreate.json');
  const path = `${IDENTITIES}/created-by-example`;
  assertExample(await send('PUT', path, fixture.parameters.parameters), fixture, 201, identityOptions(''), 'IdentityCreate (new)');
  const again = await send('PUT', path, fixture.parameters.parameters);
  assertExample(again, fixture, 200, identityOptions(''), 'IdentityCreate (again)');
  assert.deepEqual((again.body as { tags: unknown }).tags, fixture.parameters.parameters.tags);
});

test('IdentityDelete: 200, then 204, neither with a body', { skip: officialFixturesMissing }, async () => {
  emulator.core.tenant = buildTenant(seed());
  const fixture = example('IdentityDelete.json');
  const path = `${IDENTITIES}/${fixture.parameters.resourceName}`;
  assertExample(await send('DELETE', path), fixture, 200, {}, 'IdentityDelete (present)');
  assertExample(await send('DELETE', path), fixture, 204, {}, 'IdentityDelete (gone)');
});
