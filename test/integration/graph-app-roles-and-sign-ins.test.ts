import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PageIterator } from '@microsoft/microsoft-graph-client';
import { useEmulator, call, tokenFor } from '../support/emulator.ts';
import { botGraphClient, graphError } from '../support/graph-client.ts';
import { graphTenant } from '../support/graph-seed.ts';
import { APP_PRINCIPAL, BOT_PRINCIPAL, HUMAN_ADMIN, UAMI_CLIENT, UAMI_PRINCIPAL } from '../support/ids.ts';

const emulator = await useEmulator({ seed: graphTenant() });
const graph = botGraphClient(emulator);
const { tenant } = emulator.core;
const appRoleId = (permission: string) => tenant.microsoftGraph.appRoles.find((role) => role.value === permission)!.id;
const grant = (principalId: string, permission: string) => tenant.grantAppRole(principalId, appRoleId(permission), tenant.microsoftGraph.id, emulator.core.clock.now());

interface Assignment {
  id: string;
  appRoleId: string;
  principalId: string;
  principalDisplayName: string;
  resourceDisplayName: string;
  resourceId: string;
  createdDateTime: string;
  deletedDateTime: null;
}

test("a managed identity's Graph app roles are listed in the documented shape", async () => {
  const page = await graph.api(`/servicePrincipals/${UAMI_PRINCIPAL}/appRoleAssignments`).get();
  assert.equal(page['@odata.context'], `${emulator.baseUrl}/v1.0/$metadata#appRoleAssignments`);
  const assignments = page.value as Assignment[];
  assert.deepEqual(assignments.map((a) => a.appRoleId).sort(), [appRoleId('Application.ReadWrite.All'), appRoleId('Mail.Send')].sort());
  const mailSend = assignments.find((a) => a.appRoleId === appRoleId('Mail.Send'))!;
  assert.equal(mailSend.principalId, UAMI_PRINCIPAL);
  assert.equal(mailSend.principalDisplayName, 'uami-app');
  assert.equal(mailSend.resourceDisplayName, 'Microsoft Graph');
  assert.equal(mailSend.resourceId, tenant.microsoftGraph.id);
  assert.equal(mailSend.createdDateTime, '2026-03-03T00:00:00Z');
  assert.equal(mailSend.deletedDateTime, null);
  assert.doesNotMatch(mailSend.id, /^[0-9a-f-]{36}$/, 'assignment ids are opaque base64url strings');
});

test('deleting an app role assignment needs AppRoleAssignment.ReadWrite.All, then answers 204 and the grant is gone', async () => {
  const [target] = (await graph.api(`/servicePrincipals/${UAMI_PRINCIPAL}/appRoleAssignments`).get()).value as Assignment[];
  const path = `/servicePrincipals/${UAMI_PRINCIPAL}/appRoleAssignments/${target!.id}`;
  await assert.rejects(graph.api(path).delete(), graphError(403, 'Authorization_RequestDenied'));

  const botGrant = grant(BOT_PRINCIPAL, 'AppRoleAssignment.ReadWrite.All');
  try {
    const deleted = await call(emulator, 'DELETE', `/v1.0${path}`, { token: tokenFor(emulator, BOT_PRINCIPAL, 'https://graph.microsoft.com') });
    assert.equal(deleted.status, 204);
    assert.equal(deleted.body, undefined);
    const remaining = (await graph.api(`/servicePrincipals/${UAMI_PRINCIPAL}/appRoleAssignments`).get()).value as Assignment[];
    assert.equal(remaining.some((a) => a.id === target!.id), false);
    await assert.rejects(graph.api(path).delete(), graphError(404, 'Request_ResourceNotFound'));
  } finally {
    tenant.revokeAppRole(botGrant.id);
  }
});

test("the resource side (appRoleAssignedTo) pages through every grant of Microsoft Graph's roles and deletes one", async () => {
  const first = await graph.api(`/servicePrincipals/${tenant.microsoftGraph.id}/appRoleAssignedTo`).top(1).get();
  const seen: Assignment[] = [];
  await new PageIterator(graph, first, (assignment: Assignment) => {
    seen.push(assignment);
    return true;
  }).iterate();
  assert.equal(seen.length, tenant.appRoleAssignmentsTo(tenant.microsoftGraph.id).length);
  assert.ok(seen.length > 1);
  assert.ok(seen.every((assignment) => assignment.resourceId === tenant.microsoftGraph.id));

  const appGrant = seen.find((assignment) => assignment.principalId === APP_PRINCIPAL)!;
  const botGrant = grant(BOT_PRINCIPAL, 'AppRoleAssignment.ReadWrite.All');
  try {
    await graph.api(`/servicePrincipals/${tenant.microsoftGraph.id}/appRoleAssignedTo/${appGrant.id}`).delete();
    assert.equal(tenant.appRoleAssignmentsOf(APP_PRINCIPAL).length, 0);
    // the grant belongs to the resource, not to another principal
    await assert.rejects(graph.api(`/servicePrincipals/${UAMI_PRINCIPAL}/appRoleAssignedTo/${seen[0]!.id}`).delete(), graphError(404, 'Request_ResourceNotFound'));
  } finally {
    tenant.revokeAppRole(botGrant.id);
  }
});

test('beta sign-in activity lists only principals that ever signed in, keyed by base64 of the appId', async () => {
  const report = await graph.api('/reports/servicePrincipalSignInActivities').version('beta').get();
  assert.equal(report['@odata.context'], `${emulator.baseUrl}/beta/$metadata#reports/servicePrincipalSignInActivities`);
  const appIds = report.value.map((entry: { appId: string }) => entry.appId);
  assert.deepEqual(appIds.sort(), [UAMI_CLIENT, tenant.servicePrincipals.get(APP_PRINCIPAL)!.appId].sort());

  const filtered = await graph.api('/reports/servicePrincipalSignInActivities').version('beta').filter(`appId eq '${UAMI_CLIENT}'`).get();
  assert.equal(filtered.value.length, 1);
  const [entry] = filtered.value;
  assert.equal(entry.id, Buffer.from(UAMI_CLIENT).toString('base64'));
  assert.equal(entry.lastSignInActivity.lastSignInDateTime, '2026-06-01T08:00:00Z');
  assert.equal(entry.applicationAuthenticationClientSignInActivity.lastSignInDateTime, '2026-06-01T08:00:00Z');
  assert.deepEqual(entry.delegatedClientSignInActivity, { lastSignInDateTime: null, lastSignInRequestId: null });

  const single = await graph.api(`/reports/servicePrincipalSignInActivities/${entry.id}`).version('beta').get();
  assert.equal(single.appId, UAMI_CLIENT);
  const paged = await graph.api('/reports/servicePrincipalSignInActivities').version('beta').top(1).get();
  assert.equal(paged.value.length, 1);
  assert.match(paged['@odata.nextLink'], /^https:\/\/127\.0\.0\.1:\d+\/beta\/reports\/servicePrincipalSignInActivities\?\$top=1&\$skiptoken=/);
});

test('the sign-in report is beta only and needs AuditLog.Read.All (or Directory.Read.All)', async () => {
  await assert.rejects(graph.api('/reports/servicePrincipalSignInActivities').get(), (error: Error) => {
    graphError(400, 'BadRequest')(error);
    assert.equal(error.message, "Resource not found for the segment 'servicePrincipalSignInActivities'.");
    return true;
  });
  const denied = await call(emulator, 'GET', '/beta/reports/servicePrincipalSignInActivities', { token: tokenFor(emulator, HUMAN_ADMIN, 'https://graph.microsoft.com') });
  assert.equal(denied.status, 403);
  assert.equal(denied.body.error.code, 'Authorization_RequestDenied');
  await assert.rejects(graph.api('/reports/servicePrincipalSignInActivities').version('beta').filter("appId ne 'x'").get(), graphError(400, 'Request_UnsupportedQuery'));
});
