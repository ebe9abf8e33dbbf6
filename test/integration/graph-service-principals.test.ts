import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PageIterator } from '@microsoft/microsoft-graph-client';
import { useEmulator, call, tokenFor } from '../support/emulator.ts';
import { botGraphClient, graphError } from '../support/graph-client.ts';
import { DELETED_APP, GROUP_ADMINS, graphTenant } from '../support/graph-seed.ts';
import { APP_PRINCIPAL, BOT_CLIENT, BOT_PRINCIPAL, HUMAN_ADMIN, UAMI_CLIENT, UAMI_ID, UAMI_PRINCIPAL, WEB_APP_ID } from '../support/ids.ts';

const emulator = await useEmulator({ seed: graphTenant() });
const graph = botGraphClient(emulator);
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
const MISSING = '00000000-0000-4000-8000-00000000beef';
const graphToken = (principalId: string) => tokenFor(emulator, principalId, 'https://graph.microsoft.com');

test('lists managed identities page by page with the SDK PageIterator, following absolute next links', async () => {
  const first = await graph.api('/servicePrincipals').filter("servicePrincipalType eq 'ManagedIdentity'").select('id,appId,displayName,alternativeNames').top(2).get();
  assert.equal(first['@odata.context'], `${emulator.baseUrl}/v1.0/$metadata#servicePrincipals(id,appId,displayName,alternativeNames)`);
  assert.equal(first.value.length, 2);
  const next = new URL(first['@odata.nextLink']);
  assert.equal(next.origin, emulator.baseUrl);
  assert.equal(next.searchParams.get('$filter'), "servicePrincipalType eq 'ManagedIdentity'");
  assert.ok(next.searchParams.get('$skiptoken'));
  assert.deepEqual(Object.keys(first.value[0]).sort(), ['alternativeNames', 'appId', 'displayName', 'id']);

  const seen: string[] = [];
  await new PageIterator(graph, first, (principal: { id: string }) => {
    seen.push(principal.id);
    return true;
  }).iterate();
  const webAppPrincipal = emulator.core.tenant.resource(WEB_APP_ID)!.identity!.principalId!;
  assert.deepEqual(seen.sort(), [BOT_PRINCIPAL, UAMI_PRINCIPAL, webAppPrincipal].sort());
});

test('a managed identity renders as Graph does: type, alternativeNames with isExplicit and the resource id, common defaults', async () => {
  const principal = await graph.api(`/servicePrincipals/${UAMI_PRINCIPAL}`).get();
  assert.equal(principal['@odata.context'], `${emulator.baseUrl}/v1.0/$metadata#servicePrincipals/$entity`);
  assert.equal(principal.servicePrincipalType, 'ManagedIdentity');
  assert.equal(principal.appId, UAMI_CLIENT);
  assert.deepEqual(principal.alternativeNames, ['isExplicit=True', UAMI_ID]);
  assert.equal(principal.servicePrincipalNames[0], UAMI_CLIENT);
  assert.equal(principal.accountEnabled, true);
  assert.equal(principal.deletedDateTime, null);
  assert.deepEqual(principal.appRoles, []);
  assert.deepEqual(principal.keyCredentials, []);
  assert.equal(principal.appOwnerOrganizationId, 'f8cdef31-a31e-4b4a-93e4-5f571e91255a', "managed identities' apps belong to Microsoft's tenant");
  const beta = await graph.api(`/servicePrincipals/${UAMI_PRINCIPAL}`).version('beta').get();
  assert.equal(beta['@odata.context'], `${emulator.baseUrl}/beta/$metadata#servicePrincipals/$entity`);
});

test('a service principal is found by its appId too; Microsoft Graph exposes its app roles', async () => {
  const byAppId = await graph.api(`/servicePrincipals(appId='${BOT_CLIENT}')`).get();
  assert.equal(byAppId.id, BOT_PRINCIPAL);
  const microsoftGraph = await graph.api(`/servicePrincipals(appId='${GRAPH_APP_ID}')`).select('id,appRoles').get();
  assert.deepEqual(Object.keys(microsoftGraph).sort(), ['@odata.context', 'appRoles', 'id']);
  const directoryRead = microsoftGraph.appRoles.find((role: { value: string }) => role.value === 'Directory.Read.All');
  assert.equal(directoryRead.id, '7ab1d382-f21e-4acd-a863-ba3e13f7da61');
  assert.deepEqual(directoryRead.allowedMemberTypes, ['Application']);
});

test('$filter understands eq, in, startswith and and; anything else is refused with Request_UnsupportedQuery', async () => {
  const byAppId = await graph.api('/servicePrincipals').filter(`appId eq '${UAMI_CLIENT}'`).get();
  assert.deepEqual(byAppId.value.map((p: { id: string }) => p.id), [UAMI_PRINCIPAL]);
  const byIds = await graph.api('/servicePrincipals').filter(`id in ('${UAMI_PRINCIPAL}', '${APP_PRINCIPAL}', '${MISSING}')`).get();
  assert.deepEqual(byIds.value.map((p: { id: string }) => p.id).sort(), [APP_PRINCIPAL, UAMI_PRINCIPAL].sort());
  const combined = await graph.api('/servicePrincipals').filter("startswith(displayName,'uami') and servicePrincipalType eq 'ManagedIdentity'").get();
  assert.deepEqual(combined.value.map((p: { displayName: string }) => p.displayName), ['uami-app']);

  await assert.rejects(graph.api('/servicePrincipals').filter('accountEnabled eq true').get(), (error: Error) => {
    graphError(400, 'Request_UnsupportedQuery')(error);
    assert.match(error.message, /property 'accountEnabled' of resource 'ServicePrincipal'/);
    return true;
  });
  await assert.rejects(graph.api('/servicePrincipals').filter("displayName eq 'a' or displayName eq 'b'").get(), graphError(400, 'Request_UnsupportedQuery'));
  await assert.rejects(graph.api('/servicePrincipals').top(1000).get(), graphError(400, 'Request_BadRequest'));
  await assert.rejects(graph.api('/servicePrincipals').orderby('displayName').get(), graphError(501, 'NotImplementedByEmulator'));
});

test('$count=true counts only in an advanced query (ConsistencyLevel: eventual)', async () => {
  const counted = await graph.api('/servicePrincipals').header('ConsistencyLevel', 'eventual').count(true).filter("servicePrincipalType eq 'ManagedIdentity'").top(1).get();
  assert.equal(counted['@odata.count'], 3);
  assert.equal(counted.value.length, 1);
  const ignored = await graph.api('/servicePrincipals').count(true).top(1).get();
  assert.equal('@odata.count' in ignored, false);
});

test('an unknown or malformed id answers like Graph', async () => {
  await assert.rejects(graph.api(`/servicePrincipals/${MISSING}`).get(), (error: Error) => {
    graphError(404, 'Request_ResourceNotFound')(error);
    assert.equal(error.message, `Resource '${MISSING}' does not exist or one of its queried reference-property objects are not present.`);
    return true;
  });
  await assert.rejects(graph.api(`/servicePrincipals(appId='${MISSING}')`).get(), graphError(404, 'Request_ResourceNotFound'));
  await assert.rejects(graph.api('/servicePrincipals/not-a-guid').get(), graphError(400, 'Request_BadRequest'));
  await assert.rejects(graph.api(`/servicePrincipals/${DELETED_APP}`).get(), graphError(404, 'Request_ResourceNotFound'));
});

test('no token, a token for ARM, or an SDK without customHosts is refused with 401', async () => {
  const anonymous = await call(emulator, 'GET', '/v1.0/servicePrincipals');
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.body.error.code, 'InvalidAuthenticationToken');
  const armToken = await call(emulator, 'GET', '/v1.0/servicePrincipals', { token: tokenFor(emulator, BOT_PRINCIPAL, 'https://management.azure.com') });
  assert.equal(armToken.status, 401);
  assert.equal(armToken.body.error.code, 'InvalidAuthenticationToken');
  assert.match(armToken.body.error.message, /Invalid audience/);
  await assert.rejects(botGraphClient(emulator, { customHosts: false }).api('/servicePrincipals').get(), graphError(401, 'InvalidAuthenticationToken'));
});

test('a caller without an Application or Directory read permission gets 403 Authorization_RequestDenied', async () => {
  const denied = await call(emulator, 'GET', '/v1.0/servicePrincipals', { token: graphToken(HUMAN_ADMIN) });
  assert.equal(denied.status, 403);
  assert.equal(denied.body.error.code, 'Authorization_RequestDenied');
  assert.equal(denied.body.error.message, 'Insufficient privileges to complete the operation.');
  assert.ok(denied.body.error.innerError['request-id']);
});

test('getByIds returns the objects that exist, each with @odata.type; absent and deleted ids are simply left out', async () => {
  const found = await graph
    .api('/directoryObjects/getByIds')
    .post({ ids: [UAMI_PRINCIPAL, MISSING, DELETED_APP, HUMAN_ADMIN, GROUP_ADMINS] });
  assert.equal(found['@odata.context'], `${emulator.baseUrl}/v1.0/$metadata#directoryObjects`);
  assert.deepEqual(
    found.value.map((object: { '@odata.type': string; id: string }) => [object['@odata.type'], object.id]),
    [
      ['#microsoft.graph.servicePrincipal', UAMI_PRINCIPAL],
      ['#microsoft.graph.user', HUMAN_ADMIN],
      ['#microsoft.graph.group', GROUP_ADMINS],
    ],
  );
  const onlyPrincipals = await graph.api('/directoryObjects/getByIds').post({ ids: [UAMI_PRINCIPAL, HUMAN_ADMIN], types: ['servicePrincipal'] });
  assert.deepEqual(onlyPrincipals.value.map((object: { id: string }) => object.id), [UAMI_PRINCIPAL]);
  const tooMany = Array.from({ length: 1001 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
  await assert.rejects(graph.api('/directoryObjects/getByIds').post({ ids: tooMany }), graphError(400, 'Request_BadRequest'));
  await assert.rejects(graph.api('/directoryObjects/getByIds').post({ ids: [UAMI_PRINCIPAL], types: ['planet'] }), graphError(400, 'Request_BadRequest'));
});

test('deleted service principals are listed and read from deleted items', async () => {
  const deleted = await graph.api('/directory/deletedItems/microsoft.graph.servicePrincipal').get();
  assert.equal(deleted['@odata.context'], `${emulator.baseUrl}/v1.0/$metadata#servicePrincipals`);
  assert.deepEqual(
    deleted.value.map((principal: { id: string; deletedDateTime: string }) => [principal.id, principal.deletedDateTime]),
    [[DELETED_APP, '2026-05-01T00:00:00Z']],
  );
  const filtered = await graph.api('/directory/deletedItems/microsoft.graph.servicePrincipal').filter(`id in ('${MISSING}','${DELETED_APP}')`).get();
  assert.equal(filtered.value.length, 1);
  const item = await graph.api(`/directory/deletedItems/${DELETED_APP}`).get();
  assert.equal(item['@odata.type'], '#microsoft.graph.servicePrincipal');
  assert.equal(item['@odata.context'], `${emulator.baseUrl}/v1.0/$metadata#directoryObjects/$entity`);
  await assert.rejects(graph.api(`/directory/deletedItems/${UAMI_PRINCIPAL}`).get(), graphError(404, 'Request_ResourceNotFound'));
  const groups = await graph.api('/directory/deletedItems/microsoft.graph.group').get();
  assert.deepEqual(groups.value, []);
  await assert.rejects(graph.api('/directory/deletedItems/microsoft.graph.application').get(), graphError(501, 'NotImplementedByEmulator'));
});

test('one directory object is read by id whatever its type; an id the directory lacks (even a soft-deleted one) is 404', async () => {
  const principal = await graph.api(`/directoryObjects/${UAMI_PRINCIPAL}`).select('id').get();
  assert.equal(principal['@odata.context'], `${emulator.baseUrl}/v1.0/$metadata#directoryObjects(id)/$entity`);
  // The set is of the base type, so the object says which type it is even when only its id is selected.
  assert.deepEqual(principal, { '@odata.context': principal['@odata.context'], '@odata.type': '#microsoft.graph.servicePrincipal', id: UAMI_PRINCIPAL });
  const user = await graph.api(`/directoryObjects/${HUMAN_ADMIN}`).get();
  assert.equal(user['@odata.type'], '#microsoft.graph.user');
  await assert.rejects(graph.api(`/directoryObjects/${MISSING}`).get(), graphError(404, 'Request_ResourceNotFound'));
  await assert.rejects(graph.api(`/directoryObjects/${DELETED_APP}`).get(), graphError(404, 'Request_ResourceNotFound'));
  await assert.rejects(graph.api('/directoryObjects/not-a-guid').get(), graphError(400, 'Request_BadRequest'));
});
