import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEmulator, call, tokenFor } from '../support/emulator.ts';
import { botGraphClient, graphError } from '../support/graph-client.ts';
import { GROUP_ADMINS, GROUP_DEPLOYERS, graphTenant } from '../support/graph-seed.ts';
import { APP_PRINCIPAL, HUMAN_ADMIN, UAMI_PRINCIPAL } from '../support/ids.ts';

const emulator = await useEmulator({ seed: graphTenant() });
const graph = botGraphClient(emulator);
const GLOBAL_ADMINISTRATOR = '62e90394-69f5-4237-9190-012177145e10';
const PRIVILEGED_ROLE_ADMINISTRATOR = 'e8611ab8-c189-46e8-94e1-60213ab1f814';
const APPLICATION_ADMINISTRATOR = '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3';

type Listed = { '@odata.type': string; id: string; displayName: string | null; roleTemplateId?: string };
const typesAndIds = (value: Listed[]) => value.map((object) => `${object['@odata.type']} ${object.id}`).sort();

test('transitiveMemberOf shows nested groups and the directory role a group confers; memberOf only direct groups', async () => {
  const transitive = (await graph.api(`/servicePrincipals/${UAMI_PRINCIPAL}/transitiveMemberOf`).get()).value as Listed[];
  const role = transitive.find((object) => object['@odata.type'] === '#microsoft.graph.directoryRole')!;
  assert.equal(role.roleTemplateId, PRIVILEGED_ROLE_ADMINISTRATOR);
  assert.equal(role.displayName, 'Privileged Role Administrator');
  assert.deepEqual(typesAndIds(transitive.filter((object) => object !== role)), [`#microsoft.graph.group ${GROUP_ADMINS}`, `#microsoft.graph.group ${GROUP_DEPLOYERS}`]);

  const direct = await graph.api(`/servicePrincipals/${UAMI_PRINCIPAL}/memberOf`).get();
  assert.equal(direct['@odata.context'], `${emulator.baseUrl}/v1.0/$metadata#directoryObjects`);
  assert.deepEqual(typesAndIds(direct.value), [`#microsoft.graph.group ${GROUP_ADMINS}`]);
  const appRoles = (await graph.api(`/servicePrincipals/${APP_PRINCIPAL}/memberOf`).get()).value as Listed[];
  assert.deepEqual(appRoles.map((object) => object.roleTemplateId), [APPLICATION_ADMINISTRATOR]);
});

test('a group, its direct members and its transitive members', async () => {
  const group = await graph.api(`/groups/${GROUP_ADMINS}`).get();
  assert.equal(group['@odata.context'], `${emulator.baseUrl}/v1.0/$metadata#groups/$entity`);
  assert.equal(group.displayName, 'platform-admins');
  assert.equal(group.isAssignableToRole, true);
  assert.equal(group.securityEnabled, true);

  const members = (await graph.api(`/groups/${GROUP_DEPLOYERS}/members`).get()).value as Listed[];
  assert.deepEqual(typesAndIds(members), [`#microsoft.graph.group ${GROUP_ADMINS}`]);
  const transitive = (await graph.api(`/groups/${GROUP_DEPLOYERS}/transitiveMembers`).get()).value as Listed[];
  assert.deepEqual(
    typesAndIds(transitive),
    [`#microsoft.graph.group ${GROUP_ADMINS}`, `#microsoft.graph.servicePrincipal ${UAMI_PRINCIPAL}`, `#microsoft.graph.user ${HUMAN_ADMIN}`].sort(),
  );
  await assert.rejects(graph.api(`/groups/${UAMI_PRINCIPAL}`).get(), graphError(404, 'Request_ResourceNotFound'));
});

test('members the caller may not read come back with only @odata.type and id', async () => {
  // APP_PRINCIPAL holds GroupMember.Read.All only: groups in full, users and service principals limited.
  const response = await call(emulator, 'GET', `/v1.0/groups/${GROUP_DEPLOYERS}/transitiveMembers`, { token: tokenFor(emulator, APP_PRINCIPAL, 'https://graph.microsoft.com') });
  assert.equal(response.status, 200);
  const byType = Object.fromEntries((response.body.value as Listed[]).map((object) => [object['@odata.type'], object]));
  assert.equal(byType['#microsoft.graph.group']!.displayName, 'platform-admins');
  assert.equal(byType['#microsoft.graph.user']!.id, HUMAN_ADMIN);
  assert.equal(byType['#microsoft.graph.user']!.displayName, null);
  assert.equal(byType['#microsoft.graph.servicePrincipal']!.displayName, null);
  const denied = await call(emulator, 'GET', `/v1.0/servicePrincipals/${UAMI_PRINCIPAL}/transitiveMemberOf`, { token: tokenFor(emulator, APP_PRINCIPAL, 'https://graph.microsoft.com') });
  assert.equal(denied.status, 403);
  assert.equal(denied.body.error.code, 'Authorization_RequestDenied');
});

test('directory role assignments filter by principal or role and can expand the principal', async () => {
  const forApp = await graph.api('/roleManagement/directory/roleAssignments').filter(`principalId eq '${APP_PRINCIPAL}'`).get();
  assert.equal(forApp['@odata.context'], `${emulator.baseUrl}/v1.0/$metadata#roleManagement/directory/roleAssignments`);
  assert.equal(forApp.value.length, 1);
  const [assignment] = forApp.value;
  assert.equal(assignment.roleDefinitionId, APPLICATION_ADMINISTRATOR);
  assert.equal(assignment.directoryScopeId, '/');

  const expanded = await graph.api('/roleManagement/directory/roleAssignments').filter(`roleDefinitionId eq '${PRIVILEGED_ROLE_ADMINISTRATOR}'`).expand('principal').get();
  assert.equal(expanded['@odata.context'], `${emulator.baseUrl}/v1.0/$metadata#roleManagement/directory/roleAssignments(principal())`);
  assert.equal(expanded.value[0].principalId, GROUP_ADMINS);
  assert.equal(expanded.value[0].principal['@odata.type'], '#microsoft.graph.group');
  assert.equal(expanded.value[0].principal.displayName, 'platform-admins');

  await assert.rejects(graph.api('/roleManagement/directory/roleAssignments').filter(`appScopeId eq '/'`).get(), graphError(400, 'Request_UnsupportedQuery'));
  await assert.rejects(graph.api('/roleManagement/directory/roleAssignments').expand('roleDefinition').get(), graphError(501, 'NotImplementedByEmulator'));
});

test('built-in role definitions use the template id as id; isPrivileged is a beta property', async () => {
  const definitions = await graph.api('/roleManagement/directory/roleDefinitions').get();
  const globalAdmin = definitions.value.find((role: { displayName: string }) => role.displayName === 'Global Administrator');
  assert.equal(globalAdmin.id, GLOBAL_ADMINISTRATOR);
  assert.equal(globalAdmin.templateId, GLOBAL_ADMINISTRATOR);
  assert.equal(globalAdmin.isBuiltIn, true);
  assert.equal('isPrivileged' in globalAdmin, false);
  const beta = await graph.api(`/roleManagement/directory/roleDefinitions/${GLOBAL_ADMINISTRATOR}`).version('beta').get();
  assert.equal(beta.isPrivileged, true);
  const groupsAdmin = await graph.api('/roleManagement/directory/roleDefinitions').version('beta').filter("displayName eq 'Groups Administrator'").get();
  assert.equal(groupsAdmin.value[0].isPrivileged, false);
});
