import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conditionAllows, evaluateCondition, parseCondition, UnsupportedCondition, type AuthorizationContext } from '../../emulator/authz/abac.ts';
import { authorize } from '../../emulator/authz/rbac.ts';
import { buildTenant } from '../../emulator/seed/load.ts';
import { smallTenant } from '../support/seeds.ts';
import { BOT_PRINCIPAL, SUB_DEV } from '../support/ids.ts';

const WRITE = 'Microsoft.Authorization/roleAssignments/write';
const DELETE = 'Microsoft.Authorization/roleAssignments/delete';
const READ = 'Microsoft.Authorization/roleAssignments/read';
const BACKUP_CONTRIBUTOR = '5e467623-bb1f-42f4-a55d-6e525e11384b';
const BACKUP_READER = 'a795c7a0-d4a2-40c1-ae25-d81f01202912';
const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';

/** "Constrain roles and principal types", verbatim from azure-docs delegate-role-assignments-examples.md. */
const CONSTRAIN_ROLES_AND_TYPES = `(
 (
  !(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})
 )
 OR
 (
  @Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {5e467623-bb1f-42f4-a55d-6e525e11384b, a795c7a0-d4a2-40c1-ae25-d81f01202912}
  AND
  @Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'User', 'Group'}
 )
)
AND
(
 (
  !(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})
 )
 OR
 (
  @Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {5e467623-bb1f-42f4-a55d-6e525e11384b, a795c7a0-d4a2-40c1-ae25-d81f01202912}
  AND
  @Resource[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'User', 'Group'}
 )
)`;

const evaluate = (condition: string, action: string, context: AuthorizationContext = {}) => evaluateCondition(parseCondition(condition), action, context);

test('the documented "constrain roles and principal types" condition holds only for the allowed roles and types', () => {
  const backupForGroup = { roleDefinitionId: BACKUP_READER.toUpperCase(), principalId: BOT_PRINCIPAL, principalType: 'group' };
  assert.equal(evaluate(CONSTRAIN_ROLES_AND_TYPES, WRITE, { request: backupForGroup }), true, 'GUIDs and IgnoreCase strings compare case-insensitively');
  assert.equal(evaluate(CONSTRAIN_ROLES_AND_TYPES, WRITE, { request: { ...backupForGroup, roleDefinitionId: READER } }), false, 'a role outside the set');
  assert.equal(evaluate(CONSTRAIN_ROLES_AND_TYPES, WRITE, { request: { ...backupForGroup, principalType: 'ServicePrincipal' } }), false, 'a principal type outside the set');
  assert.equal(evaluate(CONSTRAIN_ROLES_AND_TYPES, DELETE, { resource: { ...backupForGroup, roleDefinitionId: BACKUP_CONTRIBUTOR } }), true);
  assert.equal(evaluate(CONSTRAIN_ROLES_AND_TYPES, DELETE, { request: backupForGroup }), false, 'a delete is judged by @Resource, which is missing here');
  assert.equal(evaluate(CONSTRAIN_ROLES_AND_TYPES, READ), true, 'actions the condition does not target are unconstrained');
});

test('ForAnyOfAllValues:GuidNotEquals excludes listed principals; quoted GUIDs and the plain operators work too', () => {
  const excludeBot = `((!(ActionMatches{'${DELETE}'})) OR (@Resource[Microsoft.Authorization/roleAssignments:PrincipalId] ForAnyOfAllValues:GuidNotEquals {'${BOT_PRINCIPAL}'}))`;
  assert.equal(evaluate(excludeBot, DELETE, { resource: { principalId: BOT_PRINCIPAL } }), false);
  assert.equal(evaluate(excludeBot, DELETE, { resource: { principalId: SUB_DEV } }), true);
  const plain = `@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] GuidEquals ${READER} AND @Request[Microsoft.Authorization/roleAssignments:PrincipalType] StringEqualsIgnoreCase 'user'`;
  assert.equal(evaluate(plain, WRITE, { request: { roleDefinitionId: READER, principalType: 'User' } }), true);
  assert.equal(evaluate(plain, WRITE, { request: { roleDefinitionId: READER, principalType: 'Group' } }), false);
  assert.equal(evaluate(`@Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAllValues:StringNotEquals {'User'}`, WRITE, { request: { principalType: 'user' } }), true, 'StringNotEquals is case-sensitive');
});

test('constructs outside the subset are refused with the construct named', () => {
  const unsupported: Array<[string, RegExp]> = [
    [`@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'`, /attribute @Resource\[Microsoft\.Storage/],
    [`@Principal[Microsoft.Directory/CustomSecurityAttributes/Id:Engineering_Project] StringEquals 'x'`, /attribute @Principal\[/],
    [`@Request[Microsoft.Authorization/roleAssignments:PrincipalId] ForAllOfAnyValues:GuidEquals {${BOT_PRINCIPAL}}`, /operator 'ForAllOfAnyValues:GuidEquals'/],
    [`@Request[Microsoft.Authorization/roleAssignments:PrincipalId] ForAnyOfAllValues:GuidNotEquals {BOT_PRINCIPAL_ID}`, /value 'BOT_PRINCIPAL_ID'/],
    [`@Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {User}`, /strings must be quoted/],
    [`(!(SubOperationMatches{'Blob.List'}))`, /'SubOperationMatches'/],
    [`ActionMatches{'a'} AND ActionMatches{'b'} OR ActionMatches{'c'}`, /AND and OR mixed/],
    [`(ActionMatches{'a'}`, /ends where '\)' should follow/],
  ];
  for (const [condition, message] of unsupported) {
    assert.throws(() => parseCondition(condition), (error: Error) => error instanceof UnsupportedCondition && message.test(error.message), condition);
  }
});

test('an assignment whose condition is not understood grants nothing, and the emulator says so once', (t) => {
  const warn = t.mock.method(console, 'warn', () => {});
  const condition = `((!(ActionMatches{'${WRITE}'})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {UNKNOWN_ROLE}))`;
  assert.equal(conditionAllows(condition, READ, {}), false);
  assert.equal(conditionAllows(condition, READ, {}), false);
  assert.equal(warn.mock.callCount(), 1);
  assert.match(String(warn.mock.calls[0]!.arguments[0]), /ABAC condition not understood \(value 'UNKNOWN_ROLE'/);
});

test('authorize evaluates a conditioned assignment against the request it is given', () => {
  const seed = smallTenant();
  const scope = `/subscriptions/${SUB_DEV}`;
  const onlyBackupRoles = `((!(ActionMatches{'${WRITE}'})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${BACKUP_CONTRIBUTOR}}))`;
  seed.roleAssignments = [...(seed.roleAssignments ?? []), { scope, role: 'User Access Administrator', principalId: BOT_PRINCIPAL, condition: onlyBackupRoles }];
  const tenant = buildTenant(seed);
  const allowed = (action: string, roleDefinitionId?: string) =>
    authorize(tenant, BOT_PRINCIPAL, action, scope, roleDefinitionId ? { context: { request: { roleDefinitionId } } } : {});
  assert.equal(allowed(WRITE, BACKUP_CONTRIBUTOR).allowed, true);
  assert.equal(allowed(WRITE, BACKUP_CONTRIBUTOR).grantedBy?.condition, onlyBackupRoles);
  assert.equal(allowed(WRITE, READER).allowed, false);
  assert.equal(allowed(WRITE).allowed, false, 'no request attributes: the condition cannot hold');
  assert.equal(allowed(DELETE).allowed, true, 'the condition constrains only writes');
});
