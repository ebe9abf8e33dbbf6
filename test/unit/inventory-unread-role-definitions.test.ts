import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unreadRoleDefinitionsGap } from '../../src/inventory/unread-role-definitions.ts';
import type { RoleAssignmentRecord, RoleDefinitionRecord } from '../../src/model/snapshot.ts';

const OWNER = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';
const CUSTOM = '0c0c0c0c-0000-4000-8000-000000000001';
const definition = (name: string): RoleDefinitionRecord => ({ name, roleName: name, roleType: 'BuiltInRole', permissions: [], assignableScopes: ['/'] });
const assignment = (name: string, roleGuid: string): RoleAssignmentRecord => ({
  id: `/subscriptions/s1/providers/Microsoft.Authorization/roleAssignments/${name}`,
  name,
  scope: '/subscriptions/s1',
  roleDefinitionId: `/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/${roleGuid.toUpperCase()}`,
  principalId: 'p1',
  principalType: 'ServicePrincipal',
  condition: null,
  createdOn: null,
  createdBy: null,
});

test('no gap when every assignment names a definition that was read, whatever the case or scope prefix of its id', () => {
  assert.equal(unreadRoleDefinitionsGap([assignment('a1', OWNER)], [definition(OWNER)]), undefined);
});

test('assignments naming a definition that was not read are a roleDefinitions gap that counts and names them', () => {
  const gap = unreadRoleDefinitionsGap([assignment('a1', OWNER), assignment('a2', CUSTOM), assignment('a3', CUSTOM)], [definition(OWNER)]);
  assert.equal(gap?.area, 'roleDefinitions');
  assert.match(gap!.reason, /^2 role assignments name 1 role definitions that could not be read \(.*0C0C0C0C-0000-4000-8000-000000000001\)/);
});
