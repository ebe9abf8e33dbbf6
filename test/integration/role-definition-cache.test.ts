import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAzureClients } from '../../src/azure/clients.ts';
import { loadAzureConfig } from '../../src/azure/config.ts';
import { BuiltInRoleCache, RoleDefinitions } from '../../src/azure/role-definitions.ts';
import { useEmulator } from '../support/emulator.ts';
import { smallTenant } from '../support/seeds.ts';
import { SUB_PROD } from '../support/ids.ts';

const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
const OPS_ROLE = 'c0ffee00-0000-4000-8000-000000000001';
const MINUTE = 60_000;

const emulator = await useEmulator({
  seed: smallTenant({
    roleDefinitions: [{ id: OPS_ROLE, roleName: 'ops-everything', assignableScopes: [`/subscriptions/${SUB_PROD}`], permissions: [{ actions: ['*'], notActions: [], dataActions: [], notDataActions: [] }] }],
  }),
});
const roleDefinitions = new RoleDefinitions(createAzureClients(loadAzureConfig(emulator.env)));

/** Role-definition reads the emulator answered since the last reset. */
function reads(): number {
  return Object.entries(emulator.core.requests.countsByRoute())
    .filter(([route]) => route.startsWith('arm.roleDefinitions'))
    .reduce((sum, [, n]) => sum + n, 0);
}

test('a built-in role is read once for all concurrent and later readers, whatever subscription prefix names it, until its time is up', async () => {
  let now = 0;
  const cache = new BuiltInRoleCache(roleDefinitions, 5 * MINUTE, () => now);
  emulator.core.requests.reset();
  const ids = [`/providers/Microsoft.Authorization/roleDefinitions/${READER}`, `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleDefinitions/${READER}`];
  const roles = await Promise.all([...ids, ...ids].map((id) => cache.getById(id)));
  assert.deepEqual(new Set(roles.map((role) => role.roleName)), new Set(['Reader']));
  assert.equal(reads(), 1);
  now = 4 * MINUTE;
  await cache.getById(ids[0]!);
  assert.equal(reads(), 1, 'still kept');
  now = 5 * MINUTE;
  await cache.getById(ids[0]!);
  assert.equal(reads(), 2, 'read again once its time is up');
});

test('a custom role is read live every time, and a failed read is not kept', async () => {
  const cache = new BuiltInRoleCache(roleDefinitions, 5 * MINUTE, () => 0);
  emulator.core.requests.reset();
  const custom = `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleDefinitions/${OPS_ROLE}`;
  assert.equal((await cache.getById(custom)).roleType, 'CustomRole');
  await cache.getById(custom);
  assert.equal(reads(), 2);

  const missing = `/providers/Microsoft.Authorization/roleDefinitions/00000000-0000-4000-8000-00000000dead`;
  await assert.rejects(cache.getById(missing), { statusCode: 404, code: 'RoleDefinitionDoesNotExist' });
  await assert.rejects(cache.getById(missing), { statusCode: 404, code: 'RoleDefinitionDoesNotExist' });
  assert.equal(reads(), 4);
});
