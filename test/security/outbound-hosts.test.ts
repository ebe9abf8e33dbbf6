import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import azureFunctions from '@azure/functions';
import { startCanary, watchOutbound } from './canary.ts';
import { useEmulator } from '../support/emulator.ts';
import { useAzurite } from '../support/azurite.ts';
import { loadFunctionsApp, invocationContext } from '../support/functions-host.ts';
import { smallTenant } from '../support/seeds.ts';
import { SUB_PROD, TENANT_ID, UAMI_ID, WEB_APP_ID } from '../support/ids.ts';
import { createAzureClients } from '../../src/azure/clients.ts';
import { loadAzureConfig } from '../../src/azure/config.ts';
import { AzureApiError, callAzure } from '../../src/azure/errors.ts';
import { RoleAssignments } from '../../src/azure/role-assignments.ts';
import { collect, graphPages } from '../../src/azure/graph-paging.ts';
import { queryResourceGraph } from '../../src/inventory/resource-graph.ts';
import { SUBSCRIPTIONS_QUERY } from '../../src/inventory/queries.ts';
import { subscriptionRow } from '../../src/inventory/records.ts';
import { runSweep } from '../../src/pipeline/sweep.ts';
import { parsePolicy } from '../../src/policy/load.ts';

/**
 * Outbound calls go only to the configured hosts: nothing an event or an Azure response says can make the bot call
 * another URL. Hostile links point at a canary (a second HTTPS listener on another port, by IP and by `localhost`)
 * and at `evil.example` (which does not resolve: only the outbound watch sees an attempt there).
 */

// Watching from the very start: every request the file's code makes is checked at the end of each test.
const outbound = watchOutbound();
const canary = await startCanary();
const emulator = await useEmulator({ seed: smallTenant() });
const azurite = await useAzurite();
Object.assign(process.env, emulator.env, { IDWARDEN_STORAGE_CONNECTION_STRING: azurite.connectionString, IDWARDEN_TABLE_PREFIX: `out${process.pid}` });
const clients = createAzureClients(loadAzureConfig(emulator.env));
const functions = await loadFunctionsApp();
const ALLOWED = [emulator.baseUrl, azurite.blobEndpoint, azurite.queueEndpoint, azurite.tableEndpoint];
const HOSTILE_ORIGINS = [canary.url, canary.localhostUrl, `https://evil.example:${canary.port}`, 'https://evil.example'];
const DEFAULT_POLICY = new URL('../../src/policy/default-policy.yaml', import.meta.url);
const policy = parsePolicy(readFileSync(DEFAULT_POLICY, 'utf8'), DEFAULT_POLICY.pathname);

/** Nothing reached the canary, and every request this process started went to the emulator or Azurite. */
function assertStayedHome(what: string): void {
  assert.deepEqual(canary.hits, [], `${what}: the canary was called`);
  assert.equal(canary.connections(), 0, `${what}: something connected to the canary`);
  assert.deepEqual(outbound.outside(ALLOWED), [], `${what}: a request left for a host that is not configured`);
  assert.ok(outbound.requests.length > 0, 'the outbound watch sees requests');
}

const refusedHost = (error: unknown) => {
  assert.ok(error instanceof AzureApiError, `an AzureApiError, got ${String(error)}`);
  assert.equal(error.code, 'HostNotAllowedError', error.message);
  assert.equal(error.statusCode, undefined, 'refused before sending: there is no response');
  assert.match(error.message, /refusing to send a request to https:\/\/(127\.0\.0\.1|localhost|evil\.example)/);
  return true;
};

test('ARM nextLink to another host or port: the listing fails with HostNotAllowedError, nothing is sent there', async () => {
  for (const origin of HOSTILE_ORIGINS) {
    emulator.core.faults.clear();
    const nextLink = `${origin}/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&%24skipToken=page2`;
    emulator.core.faults.add({ route: 'arm.roleAssignments.list', times: 1, response: { status: 200, body: { value: [], nextLink } } });
    await assert.rejects(collect(new RoleAssignments(clients).listForScope(`/subscriptions/${SUB_PROD}`)), refusedHost, origin);
  }
  emulator.core.faults.clear();
  assertStayedHome('ARM nextLink');
});

test('Graph @odata.nextLink to another host or port: refused before sending (no token to the canary, even on 127.0.0.1)', async () => {
  const graph = await clients.graph();
  for (const origin of HOSTILE_ORIGINS) {
    emulator.core.faults.clear();
    const nextLink = `${origin}/v1.0/servicePrincipals?$skiptoken=page2`;
    emulator.core.faults.add({ route: 'graph.servicePrincipals.list', times: 1, response: { status: 200, body: { value: [], '@odata.nextLink': nextLink } } });
    const pages = graphPages(graph, () => graph.api('/servicePrincipals').get(), z.unknown(), { service: 'graph', operation: 'servicePrincipals.list' });
    await assert.rejects(collect(pages), refusedHost, origin);
  }
  emulator.core.faults.clear();
  assertStayedHome('Graph nextLink');
});

test('redirects to another host: ARM and Resource Graph do not follow them, Graph refuses them', async () => {
  const location = `${canary.url}/elsewhere`;
  // core-rest-pipeline (ARM) and the Resource Graph client leave a cross-origin redirect unfollowed: the 3xx is the failure.
  const unfollowed = (status: number) => (error: unknown) => {
    assert.ok(error instanceof AzureApiError, String(error));
    assert.equal(error.statusCode, status);
    return true;
  };
  emulator.core.faults.clear();
  emulator.core.faults.add({ route: 'arm.roleAssignments.list', times: 1, response: { status: 307, headers: { location }, body: {} } });
  await assert.rejects(collect(new RoleAssignments(clients).listForScope(`/subscriptions/${SUB_PROD}`)), unfollowed(307));

  for (const status of [307, 302]) {
    emulator.core.faults.clear();
    emulator.core.faults.add({ route: 'resourceGraph.resources', times: 1, response: { status, headers: { location }, body: {} } });
    await assert.rejects(collect(queryResourceGraph(clients, SUBSCRIPTIONS_QUERY, { tenant: true }, subscriptionRow, 'resources.subscriptions')), unfollowed(status));
  }

  // The Graph client's RedirectHandler would follow it (without the token): the pinning refuses it first.

  const graph = await clients.graph();
  emulator.core.faults.clear();
  emulator.core.faults.add({ route: 'graph.servicePrincipals.list', times: 1, response: { status: 302, headers: { location }, body: {} } });
  await assert.rejects(callAzure({ service: 'graph', operation: 'servicePrincipals.list' }, () => graph.api('/servicePrincipals').get()), refusedHost);
  emulator.core.faults.clear();
  assertStayedHome('redirects');
});

test('a Resource Graph $skipToken is an opaque token sent back to Resource Graph, never a URL followed', async () => {
  emulator.core.faults.clear();
  emulator.core.faults.add({
    route: 'resourceGraph.resources',
    times: 1,
    response: { status: 200, body: { totalRecords: 2, count: 1, data: [], facets: [], resultTruncated: 'false', $skipToken: `${canary.url}/providers/Microsoft.ResourceGraph/resources` } },
  });
  const before = emulator.core.requests.countsByRoute()['resourceGraph.resources'] ?? 0;
  await assert.rejects(collect(queryResourceGraph(clients, SUBSCRIPTIONS_QUERY, { tenant: true }, subscriptionRow, 'resources.subscriptions')), (error: unknown) => {
    assert.ok(error instanceof AzureApiError, String(error));
    assert.equal(error.service, 'resource-graph');
    assert.equal(error.statusCode, 400, 'the emulator refuses a skip token it never issued');
    return true;
  });
  assert.equal((emulator.core.requests.countsByRoute()['resourceGraph.resources'] ?? 0) - before, 2, 'the second page was asked of Resource Graph itself');
  emulator.core.faults.clear();
  assertStayedHome('$skipToken');
});

test('a sweep whose listings hand back hostile links completes with gaps that name the refusal', async () => {
  emulator.core.faults.clear();
  emulator.core.faults.add({ route: 'arm.roleAssignments.list', response: { status: 200, body: { value: [], nextLink: `${canary.url}/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01` } } });
  emulator.core.faults.add({ route: 'graph.servicePrincipals.list', response: { status: 200, body: { value: [], '@odata.nextLink': `${canary.localhostUrl}/v1.0/servicePrincipals?$skiptoken=2` } } });
  const { report } = await runSweep(clients, policy, { subscriptions: [SUB_PROD] });
  emulator.core.faults.clear();
  const refused = report.gaps.filter((gap) => /refusing to send a request to https:\/\/(127\.0\.0\.1|localhost):/.test(gap.reason));
  assert.ok(refused.some((gap) => gap.area === 'roleAssignments'), JSON.stringify(report.gaps, null, 1));
  assert.ok(refused.some((gap) => gap.area === 'servicePrincipals'), JSON.stringify(report.gaps, null, 1));
  assertStayedHome('sweep');
});

const GUID = 'dddddddd-0000-4000-8000-00000000e711';
const ASSIGNMENTS = `providers/Microsoft.Authorization/roleAssignments/${GUID}`;

/** Resource ids no Azure id looks like, each trying to become a URL on another host once the SDK builds its request. */
function hostileIds(): { operationName: string; resourceUri: string }[] {
  const write = 'Microsoft.Authorization/roleAssignments/write';
  const ids = [
    `${canary.url}/subscriptions/${SUB_PROD}/${ASSIGNMENTS}`,
    `https://evil.example/subscriptions/${SUB_PROD}/${ASSIGNMENTS}`,
    `//evil.example/subscriptions/${SUB_PROD}/${ASSIGNMENTS}`,
    `//127.0.0.1:${canary.port}/subscriptions/${SUB_PROD}/${ASSIGNMENTS}`,
    `/subscriptions/${SUB_PROD}@evil.example/${ASSIGNMENTS}`,
    `@127.0.0.1:${canary.port}/subscriptions/${SUB_PROD}/${ASSIGNMENTS}`,
    `/subscriptions/${SUB_PROD}/../../../evil.example/${ASSIGNMENTS}`,
    `/subscriptions/..%2F..%2F%2F127.0.0.1:${canary.port}/${ASSIGNMENTS}`,
    `/subscriptions/%2F%2Fevil.example/${ASSIGNMENTS}`,
    `/subscriptions/${SUB_PROD}/${ASSIGNMENTS}?x=https://evil.example`,
    `/subscriptions/${SUB_PROD}/${ASSIGNMENTS}#@evil.example`,
  ].map((resourceUri) => ({ operationName: write, resourceUri }));
  return [
    ...ids,
    { operationName: 'Microsoft.ManagedIdentity/userAssignedIdentities/write', resourceUri: `${UAMI_ID}/..%2F..%2F..%2F..%2F@evil.example` },
    { operationName: 'Microsoft.ManagedIdentity/userAssignedIdentities/write', resourceUri: `${UAMI_ID.replace('/subscriptions/', `//127.0.0.1:${canary.port}/subscriptions/`)}` },
    { operationName: 'Microsoft.Web/sites/write', resourceUri: `${WEB_APP_ID}?api-version=1&x=@evil.example` },
    { operationName: 'Microsoft.Web/sites/write', resourceUri: `${WEB_APP_ID.replace(/app1$/, '..')}` },
    { operationName: 'Microsoft.Web/sites/write', resourceUri: `${WEB_APP_ID}/..%2F..%2F..%2F..%2F..%2F..%2F%2Fevil.example` },
    { operationName: 'Microsoft.Web/sites/write', resourceUri: `https://evil.example:${canary.port}${WEB_APP_ID}` },
  ];
}

test('hostile resource ids in Event Grid events (absolute URLs, //host, @host, .. and encoded slashes) never leave the configured hosts', async () => {
  const webhook = functions.get('eventGridWebhook')!;
  const events = hostileIds().map(({ operationName, resourceUri }, index) => ({
    id: `e711${String(index).padStart(4, '0')}-0000-4000-8000-000000000000`,
    topic: `/subscriptions/${SUB_PROD}`,
    subject: resourceUri,
    eventType: 'Microsoft.Resources.ResourceWriteSuccess',
    eventTime: emulator.core.clock.now().toISOString(),
    data: { operationName, resourceUri, status: 'Succeeded', subscriptionId: SUB_PROD, tenantId: TENANT_ID, correlationId: 'c0000000-0000-4000-8000-00000000e711', claims: {} },
    dataVersion: '2',
    metadataVersion: '1',
  }));
  const request = new azureFunctions.HttpRequest({ method: 'POST', url: 'https://idwarden.example/api/events', body: { string: JSON.stringify(events) } });
  const { context, logs } = invocationContext('eventGridWebhook');
  const response = (await webhook.handler(request, context)) as { status: number; jsonBody: unknown };
  const lines = logs.map((log) => log.message);
  assert.equal(response.status, 200, lines.join('\n'));
  for (const event of events) {
    const line = lines.find((candidate) => candidate.includes(`id=${event.id}`));
    assert.ok(line, `${event.data.resourceUri}: no outcome logged`);
    // `…${SUB_PROD}@evil.example/…` is shaped like an ARM id: read from ARM itself, which has no such assignment.
    const expected = event.data.resourceUri.includes(`${SUB_PROD}@evil.example`) ? 'gone' : 'ignored';
    assert.match(line, new RegExp(`^event ${expected} `), `${event.data.resourceUri}: ${line}`);
    assert.doesNotMatch(line, /findings=[1-9]/);
  }
  assertStayedHome('hostile events');
});

test('the validation handshake answers with the code; the validationUrl in the event is never called', async () => {
  const webhook = functions.get('eventGridWebhook')!;
  const body = [
    {
      id: 'e7110000-0000-4000-8000-0000000000a1',
      topic: `/subscriptions/${SUB_PROD}`,
      subject: '',
      data: { validationCode: 'code-e711', validationUrl: `${canary.url}/eventsubscriptions/x/validate?id=1` },
      eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
      eventTime: '2026-11-20T12:00:00Z',
      metadataVersion: '1',
      dataVersion: '1',
    },
  ];
  const request = new azureFunctions.HttpRequest({ method: 'POST', url: 'https://idwarden.example/api/events', headers: { 'aeg-event-type': 'SubscriptionValidation' }, body: { string: JSON.stringify(body) } });
  const answer = (await webhook.handler(request, invocationContext('eventGridWebhook').context)) as { status: number; jsonBody: unknown };
  assert.deepEqual([answer.status, answer.jsonBody], [200, { validationResponse: 'code-e711' }]);
  assertStayedHome('validation');
});
