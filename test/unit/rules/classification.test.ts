import { test } from 'node:test';
import assert from 'node:assert/strict';
import { catalog } from '../../../emulator/data/catalog.ts';
import type { RoleDefinitionRecord } from '../../../src/model/snapshot.ts';
import { isWithinScope, resourceGroupScopeOf, scopeLevel, subscriptionIdOf } from '../../../src/rules/arm-scope.ts';
import {
  actionMatches,
  canWriteRoleAssignments,
  classifyRole,
  hasBroadWrite,
  isPrivilegedAdministrator,
  wildcardActions,
} from '../../../src/rules/role-classification.ts';
import { builtInRoles } from '../../support/snapshot-builder.ts';
import { SUB_PROD } from '../../support/ids.ts';

const builtIn = (roleName: string) => builtInRoles().find((role) => role.roleName === roleName)!;
const custom = (actions: string[], notActions: string[] = [], extra: Partial<RoleDefinitionRecord['permissions'][number]> = {}): RoleDefinitionRecord => ({
  name: '00000000-0000-4000-8000-00000000c057',
  roleName: 'custom',
  roleType: 'CustomRole',
  assignableScopes: ['/'],
  permissions: [{ actions, notActions, dataActions: [], notDataActions: [], condition: null, ...extra }],
});

test('scope levels of the five ARM scope shapes, in any casing, with stray slashes', () => {
  assert.equal(scopeLevel('/'), 'root');
  assert.equal(scopeLevel('//'), 'root');
  assert.equal(scopeLevel('/providers/Microsoft.Management/managementGroups/mg-prod'), 'managementGroup');
  assert.equal(scopeLevel('/PROVIDERS/microsoft.management/MANAGEMENTGROUPS/mg-prod/'), 'managementGroup');
  assert.equal(scopeLevel(`/subscriptions/${SUB_PROD}`), 'subscription');
  assert.equal(scopeLevel(`/subscriptions/${SUB_PROD}/resourcegroups/rg-app`), 'resourceGroup');
  assert.equal(scopeLevel(`/subscriptions/${SUB_PROD}/resourceGroups/rg-app/providers/Microsoft.Web/sites/app1`), 'resource');
  assert.equal(scopeLevel(`/subscriptions/${SUB_PROD}/resourceGroups/rg/providers/Microsoft.Sql/servers/s/databases/d`), 'resource');
  assert.equal(scopeLevel(`/subscriptions/${SUB_PROD}/providers/Microsoft.Security/pricings/vm`), 'resource');
});

test('strings that are not ARM scopes have no level (rules stay silent on them)', () => {
  for (const scope of ['', '   ', '/providers/Microsoft.Capacity', '/subscriptions', 'not-a-scope', `/subscriptions/${SUB_PROD}/resourceGroups`, `/subscriptions/${SUB_PROD}/resourceGroups/rg/providers/Microsoft.Web/sites`]) {
    assert.equal(scopeLevel(scope), null, scope);
  }
});

test('subscription and resource group of a scope', () => {
  assert.equal(subscriptionIdOf(`/SUBSCRIPTIONS/${SUB_PROD.toUpperCase()}/resourceGroups/rg`), SUB_PROD);
  assert.equal(subscriptionIdOf('/providers/Microsoft.Management/managementGroups/mg'), null);
  assert.equal(subscriptionIdOf('/'), null);
  assert.equal(resourceGroupScopeOf(`/subscriptions/${SUB_PROD}/resourcegroups/rg-app/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u`), `/subscriptions/${SUB_PROD}/resourceGroups/rg-app`);
  assert.equal(resourceGroupScopeOf(`/subscriptions/${SUB_PROD}`), null);
  assert.equal(isWithinScope(`/subscriptions/${SUB_PROD}/resourceGroups/RG`, `/Subscriptions/${SUB_PROD}`), true);
  assert.equal(isWithinScope(`/subscriptions/${SUB_PROD}0/resourceGroups/RG`, `/subscriptions/${SUB_PROD}`), false, 'a prefix of the id is not a parent');
  assert.equal(isWithinScope(`/subscriptions/${SUB_PROD}`, '/'), true);
});

test('action patterns match like ARM: case-insensitive, * spans segments, regex characters are literal', () => {
  assert.equal(actionMatches('*', 'Microsoft.Authorization/roleAssignments/write'), true);
  assert.equal(actionMatches('microsoft.authorization/*', 'Microsoft.Authorization/roleAssignments/write'), true);
  assert.equal(actionMatches('Microsoft.Authorization/*/Write', 'microsoft.authorization/roleassignments/write'), true);
  assert.equal(actionMatches('*/read', 'Microsoft.Authorization/roleAssignments/write'), false);
  assert.equal(actionMatches('Microsoft.Web/sites/read', 'MicrosoftXWeb/sites/read'), false, '. is not a regex wildcard');
});

test('privileged administrators by permissions: Owner, Contributor, UAA, RBAC Administrator qualify; Reader and data owners do not', () => {
  for (const roleName of ['Owner', 'Contributor', 'User Access Administrator', 'Role Based Access Control Administrator']) {
    assert.equal(isPrivilegedAdministrator(builtIn(roleName)), true, roleName);
  }
  for (const roleName of ['Reader', 'Storage Blob Data Owner', 'Key Vault Secrets User', 'Monitoring Reader', 'AcrPull', 'Managed Identity Operator']) {
    assert.equal(isPrivilegedAdministrator(builtIn(roleName)), false, roleName);
  }
  assert.equal(canWriteRoleAssignments(builtIn('Contributor')), false, 'Contributor notActions take Microsoft.Authorization/*/Write away');
  assert.equal(hasBroadWrite(builtIn('Contributor')), true);
  assert.equal(canWriteRoleAssignments(builtIn('User Access Administrator')), true);
  assert.equal(hasBroadWrite(builtIn('User Access Administrator')), false);
  assert.equal(canWriteRoleAssignments(builtIn('Role Based Access Control Administrator')), true);
});

test('custom roles: *, */write and */* are broad writes; a provider wildcard is not; notActions subtract', () => {
  assert.equal(hasBroadWrite(custom(['*'])), true);
  assert.equal(hasBroadWrite(custom(['*/write'])), true);
  assert.equal(hasBroadWrite(custom(['*/*'])), true);
  assert.equal(hasBroadWrite(custom(['Microsoft.Compute/*'])), false);
  assert.equal(hasBroadWrite(custom(['*'], ['*/write'])), false);
  assert.equal(canWriteRoleAssignments(custom(['Microsoft.Authorization/roleAssignments/write'])), true);
  assert.equal(canWriteRoleAssignments(custom(['Microsoft.Authorization/*'], ['Microsoft.Authorization/roleAssignments/*'])), false);
  assert.equal(isPrivilegedAdministrator(custom(['*/read', 'Microsoft.Web/sites/write'])), false);
});

test('wildcard actions: read-only wildcards and wildcards only in notActions do not count', () => {
  assert.deepEqual(wildcardActions(custom(['*/read', 'Microsoft.Insights/*/read', 'Microsoft.Web/sites/write'])), []);
  assert.deepEqual(wildcardActions(custom(['Microsoft.Web/sites/read'], ['*'])), []);
  assert.deepEqual(wildcardActions(custom(['*/read', 'Microsoft.Authorization/*', '*/write'])), ['Microsoft.Authorization/*', '*/write']);
});

test('permission conditions are carried with the grant, and a conditioned block is not an unconditional grant', () => {
  const conditioned = classifyRole(custom(['Microsoft.Authorization/roleAssignments/write'], [], { condition: "@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {acdd72a7-3385-48ef-bd42-f606fba81ae7}" }));
  assert.equal(conditioned.privileged, true);
  assert.equal(conditioned.roleAssignmentWrite?.unconditional, false);
  assert.equal(conditioned.roleAssignmentWrite?.conditions.length, 1);
  assert.deepEqual(classifyRole(builtIn('Owner')).roleAssignmentWrite, { action: 'Microsoft.Authorization/roleAssignments/write', grantedBy: ['*'], conditions: [], unconditional: true });
});

test('every built-in role classifies without error, and exactly the expected ones are privileged', () => {
  const privileged = catalog()
    .roles.map((role) => builtIn(role.roleName))
    .filter((role) => isPrivilegedAdministrator(role))
    .map((role) => role.roleName)
    .sort();
  assert.deepEqual(privileged, ['Contributor', 'Owner', 'Reservations Administrator', 'Role Based Access Control Administrator', 'User Access Administrator']);
});
