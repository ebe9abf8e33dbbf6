import { test } from 'node:test';
import assert from 'node:assert/strict';
import { catalog } from '../../../emulator/data/catalog.ts';
import tiersFile from '../../../src/rules/data/graph-permission-tiers.json' with { type: 'json' };
import {
  classifyGraphAppRoleId,
  classifyGraphPermission,
  graphPermissionClassifications,
  privilegedDirectoryRoleOf,
  privilegedDirectoryRoles,
} from '../../../src/rules/privilege-data.ts';

test('every Graph permission tier entry has the app-role id emulator/data/graph-app-roles.json verified for its value', () => {
  const verified = new Map(catalog().graphAppRoles.map((role) => [role.value, role.id]));
  for (const entry of graphPermissionClassifications) {
    assert.equal(entry.appRoleId, verified.get(entry.value), `${entry.value} id`);
  }
  assert.equal(new Set(graphPermissionClassifications.map((entry) => entry.value)).size, graphPermissionClassifications.length, 'no duplicates');
});

test('the tier file names its sources and the paths to Global Admin are critical', () => {
  assert.ok(tiersFile.sources.length >= 2);
  const tierOf = (value: string) => classifyGraphPermission(value)?.tier;
  for (const value of ['RoleManagement.ReadWrite.Directory', 'AppRoleAssignment.ReadWrite.All', 'Application.ReadWrite.All', 'Directory.ReadWrite.All', 'UserAuthenticationMethod.ReadWrite.All', 'PrivilegedAccess.ReadWrite.AzureADGroup']) {
    assert.equal(tierOf(value), 'critical', value);
  }
  for (const value of ['Group.ReadWrite.All', 'Mail.Send', 'Policy.ReadWrite.ConditionalAccess', 'Application.ReadWrite.OwnedBy']) {
    assert.equal(tierOf(value), 'high', value);
  }
  for (const value of ['Directory.Read.All', 'User.Read.All', 'Application.Read.All', 'AuditLog.Read.All']) {
    assert.equal(tierOf(value), undefined, `${value} is read-only`);
  }
  assert.equal(classifyGraphAppRoleId('9E3F62CF-CA93-4989-B6CE-BF83C28F9FE8')?.value, 'RoleManagement.ReadWrite.Directory', 'ids match in any casing');
});

test('privileged directory roles are exactly the ones emulator/data/directory-roles.json marks privileged', () => {
  const expected = catalog()
    .directoryRoles.filter((role) => role.isPrivileged)
    .map((role) => `${role.templateId} ${role.displayName}`)
    .sort();
  assert.deepEqual(privilegedDirectoryRoles.map((role) => `${role.templateId} ${role.displayName}`).sort(), expected);
  const critical = privilegedDirectoryRoles.filter((role) => role.severity === 'critical').map((role) => role.displayName).sort();
  assert.deepEqual(critical, ['Global Administrator', 'Privileged Authentication Administrator', 'Privileged Role Administrator']);
});

test('a directory role is privileged by template id, or by the policy naming it', () => {
  const groupsAdmin = { roleTemplateId: 'fdd7a751-b60b-444a-984c-02652fe8fa1c', roleDisplayName: 'Groups Administrator' };
  assert.equal(privilegedDirectoryRoleOf(groupsAdmin, new Set()), undefined);
  assert.equal(privilegedDirectoryRoleOf(groupsAdmin, new Set(['groups administrator']))?.source, 'policy extraRoles');
  assert.equal(privilegedDirectoryRoleOf({ roleTemplateId: '62E90394-69F5-4237-9190-012177145E10', roleDisplayName: 'renamed' }, new Set())?.displayName, 'Global Administrator');
});
