import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { authorize } from '../../emulator/authz/rbac.ts';
import type { ArmOperation } from '../../emulator/arm/operations.ts';
import type { DeliverFunction } from '../../emulator/eventgrid/delivery.ts';
import { useEmulator } from '../support/emulator.ts';
import { smallTenant } from '../support/seeds.ts';
import { officialFixture, officialFixturesMissing } from '../support/official-fixtures.ts';
import { keyKinds } from '../support/arg-shape.ts';
import { startWebhook } from '../support/webhook.ts';
import { HUMAN_ADMIN, SUB_PROD, TENANT_ID, WEB_APP_ID } from '../support/ids.ts';

/**
 * Our events against the Event Grid docs' samples (event-schema-subscriptions.md / event-schema-resource-groups.md,
 * webhook-event-delivery.md): the same envelope keys, the same data keys (httpRequest only where the samples
 * have it), the same nested keys, every value of the same JSON kind. Claims and evidence are string maps in both.
 */
const skip = officialFixturesMissing;
const emulator = skip ? undefined : await useEmulator({ seed: smallTenant() });

const OPERATIONS: Record<ArmOperation['kind'], { operationName: string; resourceId: string; method: string }> = {
  write: { operationName: 'Microsoft.Web/sites/write', resourceId: WEB_APP_ID, method: 'PUT' },
  delete: { operationName: 'Microsoft.Web/sites/delete', resourceId: WEB_APP_ID, method: 'DELETE' },
  action: { operationName: 'Microsoft.Web/sites/restart/action', resourceId: `${WEB_APP_ID}/restart`, method: 'POST' },
};

/** The event our delivery renders for one kind of operation, in one schema. */
async function rendered(kind: ArmOperation['kind'], schema: 'EventGridSchema' | 'CloudEventSchemaV1_0'): Promise<any> {
  const core = emulator!.core;
  const received: unknown[] = [];
  const deliver: DeliverFunction = async (body) => {
    received.push(Array.isArray(body) ? body[0] : body);
  };
  const id = await emulator!.eventGrid.subscribe({ name: `conformance-${kind}-${schema === 'EventGridSchema' ? 'eg' : 'ce'}`, deliver, schema });
  const { operationName, resourceId, method } = OPERATIONS[kind];
  const { claims } = core.tokens.mint({ principalId: HUMAN_ADMIN, tenantId: TENANT_ID, audience: 'https://management.azure.com', kind: 'user' });
  core.armOperations.publish({
    kind,
    resourceId,
    operationName,
    resourceProvider: 'Microsoft.Web',
    subscriptionId: SUB_PROD,
    resourceGroup: 'rg-app',
    caller: { principalId: HUMAN_ADMIN, appId: undefined, kind: 'user', claims },
    authorization: authorize(core.tenant, HUMAN_ADMIN, operationName, resourceId),
    httpMethod: method,
    url: `https://management.azure.com${resourceId}?api-version=2023-12-01`,
    correlationId: randomUUID(),
    clientRequestId: randomUUID(),
    at: core.clock.now(),
  });
  await emulator!.eventGrid.flush();
  emulator!.eventGrid.unsubscribe(id);
  assert.equal(received.length, 1);
  return received[0];
}

function assertSameEventShape(ours: any, published: any, title: string) {
  assert.deepEqual(keyKinds(ours), keyKinds(published), `${title}: envelope`);
  assert.deepEqual(keyKinds(ours.data), keyKinds(published.data), `${title}: data`);
  assert.deepEqual(keyKinds(ours.data.authorization), keyKinds(published.data.authorization), `${title}: data.authorization`);
  assert.ok(Object.values(ours.data.claims).every((v) => typeof v === 'string'), `${title}: claims is a string map`);
  assert.ok(Object.values(ours.data.authorization.evidence).every((v) => typeof v === 'string'), `${title}: evidence is a string map`);
  if (published.data.httpRequest) assert.deepEqual(keyKinds(ours.data.httpRequest), keyKinds(published.data.httpRequest), `${title}: data.httpRequest`);
  for (const key of ['eventType', 'type', 'dataVersion', 'metadataVersion', 'specversion'] as const) {
    if (published[key] !== undefined) assert.equal(ours[key], published[key], `${title}: ${key}`);
  }
}

const EVENT_GRID_SAMPLES: [ArmOperation['kind'], string][] = [
  ['write', 'subscriptions.ResourceWriteSuccess.eventgrid.json'],
  ['delete', 'subscriptions.ResourceDeleteSuccess.eventgrid.json'],
  ['action', 'subscriptions.ResourceActionSuccess.eventgrid.json'],
];

for (const [kind, file] of EVENT_GRID_SAMPLES) {
  test(`Event Grid schema ${kind}: shaped like ${file}`, { skip }, async () => {
    const [published] = officialFixture<any[]>(`event-grid/${file}`);
    assertSameEventShape(await rendered(kind, 'EventGridSchema'), published, file);
  });
}

// The subscriptions.*.cloudevents samples are published with defects (a `topic` key instead of `source`,
// a stray backtick in specversion: see SOURCES.md); the resource-group ones are sound and use the same data.
const CLOUD_EVENT_SAMPLES: [ArmOperation['kind'], string][] = [
  ['write', 'resource-groups.ResourceWriteSuccess.cloudevents.json'],
  ['delete', 'resource-groups.ResourceDeleteSuccess.cloudevents.json'],
  ['action', 'subscriptions.ResourceActionSuccess.cloudevents.json'],
];

for (const [kind, file] of CLOUD_EVENT_SAMPLES) {
  test(`CloudEvents ${kind}: shaped like ${file}`, { skip }, async () => {
    const [published] = officialFixture<any[]>(`event-grid/${file}`);
    assertSameEventShape(await rendered(kind, 'CloudEventSchemaV1_0'), published, file);
  });
}

test('the validation handshake sends an event shaped like the published SubscriptionValidationEvent and accepts the published answer', { skip }, async () => {
  const [published] = officialFixture<any[]>('event-grid/SubscriptionValidationEvent.eventgrid.json');
  const answer = officialFixture<{ validationResponse: string }>('event-grid/SubscriptionValidationResponse.json');
  // The endpoint answers exactly like the published response, with the code it was sent.
  const webhook = await startWebhook((request) => (request.headers['aeg-event-type'] === 'SubscriptionValidation' ? { status: 200, body: { ...answer, validationResponse: request.body[0].data.validationCode } } : undefined));
  const id = await emulator!.eventGrid.subscribe({ name: 'conformance-handshake', endpointUrl: webhook.url, schema: 'EventGridSchema' });
  emulator!.eventGrid.unsubscribe(id);
  const [ours] = webhook.requests[0]!.body;
  assert.deepEqual(keyKinds(ours), keyKinds(published));
  assert.deepEqual(keyKinds(ours.data), keyKinds(published.data));
  for (const key of ['eventType', 'subject', 'dataVersion', 'metadataVersion'] as const) assert.equal(ours[key], published[key], key);
  assert.match(ours.data.validationUrl, /^https:\/\/[^/]+:553\/eventsubscriptions\/conformance-handshake\/validate\?id=/);
});
