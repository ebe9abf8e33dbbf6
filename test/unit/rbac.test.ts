import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actionMatches, authorize, permissionGrants } from '../../emulator/authz/rbac.ts';
import { buildTenant } from '../../emulator/seed/load.ts';
import { smallTenant } from '../support/seeds.ts';
import { BOT_PRINCIPAL, HUMAN_ADMIN, SUB_DEV, SUB_PROD, UAMI_PRINCIPAL } from '../support/ids.ts';

test('action patterns match like ARM: case-insensitive, * spans segments', () => {
  assert.equal(actionMatches('*', 'Microsoft.Authorization/roleAssignments/write'), true);
  assert.equal(actionMatches('*/read', 'Microsoft.Web/sites/read'), true);
  assert.equal(actionMatches('*/read', 'Microsoft.Web/sites/write'), false);
  assert.equal(actionMatches('Microsoft.Authorization/*', 'microsoft.authorization/roleassignments/delete'), true);
  assert.equal(actionMatches('Microsoft.Authorization/*/Write', 'Microsoft.Authorization/roleAssignments/write'), true);
  assert.equal(actionMatches('Microsoft.Web/sites/read', 'Microsoft.Web/sites/config/read'), false);
});

test('notActions subtract from actions (Contributor cannot write role assignments)', () => {
  const contributorLike = { actions: ['*'], notActions: ['Microsoft.Authorization/*/Write', 'Microsoft.Authorization/*/Delete'], dataActions: [], notDataActions: [] };
  assert.equal(permissionGrants(contributorLike, 'Microsoft.Web/sites/write'), true);
  assert.equal(permissionGrants(contributorLike, 'Microsoft.Authorization/roleAssignments/write'), false);
});

test('authorization follows inheritance from management group to subscription to resource group', () => {
  const tenant = buildTenant(smallTenant());
  const rg = `/subscriptions/${SUB_PROD}/resourceGroups/rg-app`;
  assert.equal(authorize(tenant, BOT_PRINCIPAL, 'Microsoft.Authorization/roleAssignments/read', rg).allowed, true, 'Reader at the management group reads below it');
  assert.equal(authorize(tenant, BOT_PRINCIPAL, 'Microsoft.Authorization/roleAssignments/write', rg).allowed, false);
  assert.equal(authorize(tenant, HUMAN_ADMIN, 'Microsoft.Authorization/roleAssignments/write', `/subscriptions/${SUB_DEV}`).allowed, true, 'Owner at the tenant root');
  assert.equal(authorize(tenant, UAMI_PRINCIPAL, 'Microsoft.Web/sites/write', rg).allowed, true, 'Contributor at the subscription');
  assert.equal(authorize(tenant, UAMI_PRINCIPAL, 'Microsoft.Web/sites/write', `/subscriptions/${SUB_DEV}`).allowed, false, 'but not in another subscription');
});
