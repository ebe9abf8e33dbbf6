import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ManagedIdentityCredential } from '@azure/identity';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { authorize } from '../../emulator/authz/rbac.ts';
import type { ArmOperation } from '../../emulator/arm/operations.ts';
import { EventGridDelivery, type DeliverFunction, type DeliveryScheduler } from '../../emulator/eventgrid/delivery.ts';
import { WebhookValidationError } from '../../emulator/eventgrid/webhook.ts';
import { call, credentialFor, useEmulator } from '../support/emulator.ts';
import { smallTenant } from '../support/seeds.ts';
import { startWebhook } from '../support/webhook.ts';
import { BOT_CLIENT, HUMAN_ADMIN, SUB_DEV, SUB_PROD, TENANT_ID, UAMI_ID, UAMI_PRINCIPAL } from '../support/ids.ts';

const emulator = await useEmulator({ seed: smallTenant() });
const { core } = emulator;

// ---- the envelopes, as the Event Grid docs define them ----
const EventTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$/, 'UTC with seven fractional digits');
const StringMap = z.record(z.string(), z.string());
const EventData = z.strictObject({
  authorization: z.strictObject({ scope: z.string().min(1), action: z.string().min(1), evidence: StringMap }),
  claims: StringMap,
  correlationId: z.string().min(1),
  httpRequest: z.strictObject({ clientRequestId: z.string(), clientIpAddress: z.string().min(1), method: z.string().min(1), url: z.url() }).optional(),
  resourceProvider: z.string().min(1),
  resourceUri: z.string().min(1),
  operationName: z.string().min(1),
  status: z.literal('Succeeded'),
  subscriptionId: z.guid(),
  tenantId: z.guid(),
});
const EventType = z.enum(['Microsoft.Resources.ResourceWriteSuccess', 'Microsoft.Resources.ResourceDeleteSuccess', 'Microsoft.Resources.ResourceActionSuccess']);
const EventGridEventSchema = z.strictObject({
  id: z.guid(),
  topic: z.string().regex(/^\/subscriptions\/[0-9a-f-]{36}$/i),
  subject: z.string().min(1),
  eventType: EventType,
  eventTime: EventTime,
  data: EventData,
  dataVersion: z.literal('2'),
  metadataVersion: z.literal('1'),
});
const CloudEventSchema = z.strictObject({
  specversion: z.literal('1.0'),
  id: z.guid(),
  source: z.string().regex(/^\/subscriptions\/[0-9a-f-]{36}$/i),
  type: EventType,
  subject: z.string().min(1),
  time: EventTime,
  data: EventData,
});

// ---- ARM operations published straight to the feed, as the ARM routes do ----
function operation(kind: ArmOperation['kind'], resourceId: string, operationName: string, subscriptionId = SUB_PROD): ArmOperation {
  const { claims } = core.tokens.mint({ principalId: HUMAN_ADMIN, tenantId: TENANT_ID, audience: 'https://management.azure.com', kind: 'user' });
  return {
    kind,
    resourceId,
    operationName,
    resourceProvider: operationName.split('/')[0]!,
    subscriptionId,
    resourceGroup: 'rg-app',
    caller: { principalId: HUMAN_ADMIN, appId: undefined, kind: 'user', claims },
    authorization: authorize(core.tenant, HUMAN_ADMIN, operationName, resourceId),
    httpMethod: kind === 'delete' ? 'DELETE' : kind === 'action' ? 'POST' : 'PUT',
    url: `https://management.azure.com${resourceId}?api-version=2022-04-01`,
    correlationId: randomUUID(),
    clientRequestId: randomUUID(),
    at: core.clock.now(),
  };
}

const roleAssignmentId = (subscriptionId = SUB_PROD) => `/subscriptions/${subscriptionId}/resourceGroups/rg-app/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`;
const roleAssignmentWrite = (subscriptionId = SUB_PROD) => operation('write', roleAssignmentId(subscriptionId), 'Microsoft.Authorization/roleAssignments/write', subscriptionId);
const roleAssignmentDelete = () => operation('delete', roleAssignmentId(), 'Microsoft.Authorization/roleAssignments/delete');
const identityWrite = () => operation('write', UAMI_ID, 'Microsoft.ManagedIdentity/userAssignedIdentities/write');

/** An in-process endpoint that keeps what it got and answers with the statuses given, then 200. */
function recorder(statuses: number[] = []) {
  const received: { body: any; headers: Record<string, string> }[] = [];
  const deliver: DeliverFunction = async (body, headers) => {
    received.push({ body, headers });
    return statuses.shift() ?? 200;
  };
  return { deliver, received, ids: () => received.flatMap((r) => (Array.isArray(r.body) ? r.body : [r.body]).map((e: any) => e.id)) };
}

/** Time under the test's control for delays and retries. */
class FakeTime implements DeliveryScheduler {
  private current = 0;
  private timers: { at: number; callback: () => void }[] = [];
  now = () => this.current;
  setTimeout = (callback: () => void, ms: number) => {
    const timer = { at: this.current + ms, callback };
    this.timers.push(timer);
    return timer;
  };
  clearTimeout = (handle: unknown) => {
    this.timers = this.timers.filter((t) => t !== handle);
  };
  advance(ms: number): void {
    this.current += ms;
    const due = this.timers.filter((t) => t.at <= this.current);
    this.timers = this.timers.filter((t) => t.at > this.current);
    for (const timer of due) timer.callback();
  }
}

/** A delivery of its own on the emulator's feed, running on fake time; closed when the test ends. */
function deliveryOnFakeTime(t: { after: (fn: () => Promise<void>) => void }) {
  const time = new FakeTime();
  const delivery = new EventGridDelivery(core, { scheduler: time });
  t.after(() => delivery.close());
  return { time, delivery };
}

async function subscribed(t: { after: (fn: () => void) => void }, options: Parameters<EventGridDelivery['subscribe']>[0]) {
  const id = await emulator.eventGrid.subscribe(options);
  t.after(() => emulator.eventGrid.unsubscribe(id));
  return id;
}

test('Event Grid schema: the handshake is answered, then a write arrives as a schema-valid event with every header', async (t) => {
  const webhook = await startWebhook();
  await subscribed(t, { name: 'bot-events', endpointUrl: webhook.url, schema: 'EventGridSchema' });
  const handshake = webhook.requests[0]!;
  assert.equal(handshake.method, 'POST');
  assert.equal(handshake.headers['aeg-event-type'], 'SubscriptionValidation');
  assert.equal(handshake.body[0].eventType, 'Microsoft.EventGrid.SubscriptionValidationEvent');
  assert.match(handshake.body[0].data.validationCode, /^[0-9a-f-]{36}$/);

  const write = roleAssignmentWrite();
  core.armOperations.publish(write);
  await emulator.eventGrid.flush();
  const [delivery] = webhook.notifications();
  assert.equal(delivery!.headers['content-type'], 'application/json; charset=utf-8');
  assert.equal(delivery!.headers['aeg-event-type'], 'Notification');
  assert.equal(delivery!.headers['aeg-subscription-name'], 'BOT-EVENTS');
  assert.equal(delivery!.headers['aeg-delivery-count'], '0');
  assert.equal(delivery!.headers['aeg-metadata-version'], '1');
  assert.equal(delivery!.headers['aeg-data-version'], '2');
  assert.equal(delivery!.body.length, 1);
  const event = EventGridEventSchema.parse(delivery!.body[0]);
  assert.equal(event.topic, `/subscriptions/${SUB_PROD}`);
  assert.equal(event.subject, write.resourceId);
  assert.equal(event.eventType, 'Microsoft.Resources.ResourceWriteSuccess');
  assert.equal(event.eventTime, write.at.toISOString().replace('Z', '0000Z'));
  assert.equal(event.data.httpRequest, undefined, 'a create carries no httpRequest');
  assert.equal(event.data.operationName, 'Microsoft.Authorization/roleAssignments/write');
  assert.equal(event.data.correlationId, write.correlationId);
  assert.equal(event.data.tenantId, TENANT_ID);
  // The evidence is the caller's own granting assignment: the admin's Owner at the tenant root group.
  const granting = write.authorization.grantedBy!;
  assert.deepEqual(event.data.authorization.evidence, {
    role: 'Owner',
    roleAssignmentScope: granting.scope,
    roleAssignmentId: granting.name.replaceAll('-', ''),
    roleDefinitionId: '8e3af657a8ff443ca75c2fe8c4bcb635',
    principalId: HUMAN_ADMIN.replaceAll('-', ''),
    principalType: 'User',
  });
  assert.equal(event.data.claims['http://schemas.microsoft.com/identity/claims/objectidentifier'], HUMAN_ADMIN);
  assert.equal(event.data.claims['http://schemas.microsoft.com/identity/claims/tenantid'], TENANT_ID);
  assert.equal(event.data.claims['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn'], 'ops.admin@contoso.example');
  assert.equal(event.data.claims['aud'], 'https://management.azure.com');
  assert.match(event.data.claims['exp']!, /^\d+$/);
});

test('a delete carries httpRequest; CloudEvents go one per request, or as a batch with the batch content type', async (t) => {
  const single = recorder();
  const batched = recorder();
  await subscribed(t, { name: 'ce-single', deliver: single.deliver, schema: 'CloudEventSchemaV1_0' });
  await subscribed(t, { name: 'ce-batch', deliver: batched.deliver, schema: 'CloudEventSchemaV1_0', maxEventsPerBatch: 3 });
  const removal = roleAssignmentDelete();
  core.armOperations.publish(removal);
  core.armOperations.publish(roleAssignmentWrite());
  await emulator.eventGrid.flush();

  assert.equal(single.received.length, 2);
  assert.equal(single.received[0]!.headers['content-type'], 'application/cloudevents+json; charset=utf-8');
  const event = CloudEventSchema.parse(single.received[0]!.body);
  assert.equal(event.type, 'Microsoft.Resources.ResourceDeleteSuccess');
  assert.equal(event.source, `/subscriptions/${SUB_PROD}`);
  assert.deepEqual(event.data.httpRequest, { clientRequestId: removal.clientRequestId, clientIpAddress: '127.0.0.1', method: 'DELETE', url: removal.url });

  assert.equal(batched.received.length, 1);
  assert.equal(batched.received[0]!.headers['content-type'], 'application/cloudevents-batch+json; charset=utf-8');
  assert.deepEqual(
    z.array(CloudEventSchema).parse(batched.received[0]!.body).map((e) => e.type),
    ['Microsoft.Resources.ResourceDeleteSuccess', 'Microsoft.Resources.ResourceWriteSuccess'],
  );
  assert.deepEqual(batched.ids(), single.ids(), 'the same event ids on every subscription');
});

test('the Event Grid handshake refuses an endpoint that does not echo the code; nothing is subscribed', async () => {
  const webhook = await startWebhook((request) => (request.headers['aeg-event-type'] === 'SubscriptionValidation' ? { status: 200, body: { validationResponse: 'nope' } } : undefined));
  await assert.rejects(emulator.eventGrid.subscribe({ name: 'bad-echo', endpointUrl: webhook.url, schema: 'EventGridSchema' }), (error: unknown) => {
    assert.ok(error instanceof WebhookValidationError);
    assert.match(error.message, /does not echo the validationCode/);
    return true;
  });
  const accepted202 = await startWebhook((request) => (request.headers['aeg-event-type'] === 'SubscriptionValidation' ? { status: 202, body: { validationResponse: request.body[0].data.validationCode } } : undefined));
  await assert.rejects(emulator.eventGrid.subscribe({ name: 'answers-202', endpointUrl: accepted202.url, schema: 'EventGridSchema' }), /expected 200/);
  assert.deepEqual(
    emulator.eventGrid.subscriptions().map((s) => s.name),
    [],
  );
});

test('the CloudEvents handshake is an OPTIONS request that must allow Event Grid’s origin', async (t) => {
  const webhook = await startWebhook();
  await subscribed(t, { name: 'ce-webhook', endpointUrl: webhook.url, schema: 'CloudEventSchemaV1_0' });
  assert.equal(webhook.requests[0]!.method, 'OPTIONS');
  assert.equal(webhook.requests[0]!.headers['webhook-request-origin'], 'eventgrid.azure.net');

  const silent = await startWebhook((request) => (request.method === 'OPTIONS' ? { status: 200 } : undefined));
  await assert.rejects(emulator.eventGrid.subscribe({ name: 'ce-silent', endpointUrl: silent.url, schema: 'CloudEventSchemaV1_0' }), /WebHook-Allowed-Origin must be eventgrid\.azure\.net or \*, got no header/);
});

test('filters: event types, operation names, subject prefix and topics all apply, case-insensitively', async (t) => {
  const identities = recorder();
  const deletes = recorder();
  const devOnly = recorder();
  await subscribed(t, {
    name: 'identities',
    deliver: identities.deliver,
    schema: 'EventGridSchema',
    operationNames: ['microsoft.managedidentity/userassignedidentities/write', 'Microsoft.ManagedIdentity/userAssignedIdentities/delete'],
  });
  await subscribed(t, { name: 'deletes', deliver: deletes.deliver, schema: 'EventGridSchema', includedEventTypes: ['Microsoft.Resources.ResourceDeleteSuccess'], subjectBeginsWith: `/SUBSCRIPTIONS/${SUB_PROD}/resourcegroups/rg-app/` });
  await subscribed(t, { name: 'dev-only', deliver: devOnly.deliver, schema: 'EventGridSchema', topics: [SUB_DEV] });
  const uami = identityWrite();
  const removal = roleAssignmentDelete();
  const devWrite = roleAssignmentWrite(SUB_DEV);
  for (const op of [uami, removal, devWrite, roleAssignmentWrite()]) core.armOperations.publish(op);
  await emulator.eventGrid.flush();
  assert.deepEqual(identities.received.map((r) => r.body[0].subject), [uami.resourceId]);
  assert.deepEqual(deletes.received.map((r) => r.body[0].subject), [removal.resourceId]);
  assert.deepEqual(devOnly.received.map((r) => r.body[0].subject), [devWrite.resourceId]);
});

test('operations outside any subscription raise no subscription event', async (t) => {
  const everything = recorder();
  await subscribed(t, { name: 'everything', deliver: everything.deliver, schema: 'EventGridSchema' });
  core.armOperations.publish(operation('write', `/providers/Microsoft.Management/managementGroups/mg-prod/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`, 'Microsoft.Authorization/roleAssignments/write', ''));
  await emulator.eventGrid.flush();
  assert.equal(everything.received.length, 0);
});

test('duplicates when asked: the same event id twice; a seed makes the pattern reproducible', async (t) => {
  const always = recorder();
  const halfA = recorder();
  const halfB = recorder();
  const never = recorder();
  await subscribed(t, { name: 'dup-always', deliver: always.deliver, schema: 'EventGridSchema', duplicateProbability: 1 });
  await subscribed(t, { name: 'dup-half-a', deliver: halfA.deliver, schema: 'EventGridSchema', duplicateProbability: 0.5, randomSeed: 7 });
  await subscribed(t, { name: 'dup-half-b', deliver: halfB.deliver, schema: 'EventGridSchema', duplicateProbability: 0.5, randomSeed: 7 });
  await subscribed(t, { name: 'dup-never', deliver: never.deliver, schema: 'EventGridSchema' });
  const published = Array.from({ length: 20 }, () => roleAssignmentWrite());
  for (const op of published) core.armOperations.publish(op);
  await emulator.eventGrid.flush();
  assert.equal(always.ids().length, 40);
  assert.equal(new Set(always.ids()).size, 20);
  assert.ok(halfA.ids().length > 20 && halfA.ids().length < 40, `some but not all duplicated: ${halfA.ids().length}`);
  const duplicatedPositions = (r: ReturnType<typeof recorder>) => {
    const ids = r.ids();
    return [...new Set(ids)].map((id) => ids.filter((x) => x === id).length);
  };
  assert.deepEqual(duplicatedPositions(halfA), duplicatedPositions(halfB));
  assert.equal(never.ids().length, 20);
});

test('reordering when asked: events within the window arrive shuffled, the same way for the same seed', async (t) => {
  const { delivery } = deliveryOnFakeTime(t);
  const first = recorder();
  const second = recorder();
  const inOrder = recorder();
  await delivery.subscribe({ name: 'reorder-a', deliver: first.deliver, schema: 'EventGridSchema', reorderWindowMs: 10_000, randomSeed: 42 });
  await delivery.subscribe({ name: 'reorder-b', deliver: second.deliver, schema: 'EventGridSchema', reorderWindowMs: 10_000, randomSeed: 42 });
  await delivery.subscribe({ name: 'in-order', deliver: inOrder.deliver, schema: 'EventGridSchema' });
  const published = Array.from({ length: 12 }, () => roleAssignmentWrite());
  for (const op of published) core.armOperations.publish(op);
  await delivery.flush();
  const publishedSubjects = published.map((op) => op.resourceId);
  const subjects = (r: ReturnType<typeof recorder>) => r.received.map((x) => x.body[0].subject);
  assert.deepEqual(subjects(inOrder), publishedSubjects);
  assert.notDeepEqual(subjects(first), publishedSubjects);
  assert.deepEqual([...subjects(first)].sort(), [...publishedSubjects].sort(), 'nothing lost');
  assert.deepEqual(subjects(second), subjects(first));
});

test('a delay is honoured: nothing arrives before it has passed, everything once it has', async (t) => {
  const { time, delivery } = deliveryOnFakeTime(t);
  const late = recorder();
  await delivery.subscribe({ name: 'late', deliver: late.deliver, schema: 'EventGridSchema', delayMs: 5_000 });
  core.armOperations.publish(roleAssignmentWrite());
  time.advance(4_999);
  await delivery.idle();
  assert.equal(late.received.length, 0);
  time.advance(1);
  await delivery.idle();
  assert.equal(late.received.length, 1);
});

test('a large delay holds events until flush, which delivers them in publish order', async (t) => {
  const held = recorder();
  let promptArrived: () => void = () => {};
  const prompt = new Promise<void>((resolve) => (promptArrived = resolve));
  await subscribed(t, { name: 'held', deliver: held.deliver, schema: 'EventGridSchema', delayMs: 3_600_000 });
  await subscribed(t, { name: 'prompt', deliver: async () => promptArrived(), schema: 'EventGridSchema', includedEventTypes: ['Microsoft.Resources.ResourceWriteSuccess'] });
  const published = [roleAssignmentWrite(), roleAssignmentDelete(), identityWrite()];
  for (const op of published) core.armOperations.publish(op);
  // Once an undelayed subscription has had its delivery, the delayed one still has nothing.
  await prompt;
  assert.equal(held.received.length, 0);
  await emulator.eventGrid.flush();
  assert.deepEqual(
    held.received.map((r) => r.body[0].subject),
    published.map((op) => op.resourceId),
  );
});

test('a 500 is retried with back-off until the endpoint takes the event, with the delivery count rising', async (t) => {
  const { time, delivery } = deliveryOnFakeTime(t);
  const flaky = recorder([500, 503]);
  const id = await delivery.subscribe({ name: 'flaky', deliver: flaky.deliver, schema: 'EventGridSchema', retryDelayMs: 1_000 });
  core.armOperations.publish(roleAssignmentWrite());
  time.advance(0);
  await delivery.idle();
  assert.equal(flaky.received.length, 1);
  time.advance(999);
  await delivery.idle();
  assert.equal(flaky.received.length, 1, 'the first retry waits retryDelayMs');
  time.advance(1);
  await delivery.idle();
  time.advance(1_999);
  await delivery.idle();
  assert.equal(flaky.received.length, 2, 'the second retry waits twice as long');
  time.advance(1);
  await delivery.idle();
  assert.deepEqual(
    flaky.received.map((r) => r.headers['aeg-delivery-count']),
    ['0', '1', '2'],
  );
  assert.equal(new Set(flaky.ids()).size, 1, 'the same event each time');
  assert.deepEqual(
    delivery.deliveries.filter((d) => d.subscriptionId === id).map((d) => [d.deliveryCount, d.status]),
    [
      [0, 500],
      [1, 503],
      [2, 200],
    ],
  );
  assert.equal(delivery.deadLetters.length, 0);
});

test('after maxDeliveryAttempts the event is dead-lettered; a 400 is dead-lettered at once', async (t) => {
  const down = recorder([503, 503, 503, 503]);
  const rejecting = recorder([400]);
  const downId = await subscribed(t, { name: 'down', deliver: down.deliver, schema: 'EventGridSchema', maxDeliveryAttempts: 3, retryDelayMs: 60_000 });
  const rejectingId = await subscribed(t, { name: 'rejecting', deliver: rejecting.deliver, schema: 'CloudEventSchemaV1_0' });
  const write = roleAssignmentWrite();
  core.armOperations.publish(write);
  await emulator.eventGrid.flush();
  assert.equal(down.received.length, 3);
  assert.equal(rejecting.received.length, 1);
  const deadDown = emulator.eventGrid.deadLetters.find((d) => d.subscriptionId === downId)!;
  assert.equal(deadDown.deadLetterReason, 'MaxDeliveryAttemptsExceeded');
  assert.equal(deadDown.deliveryAttempts, 3);
  assert.equal(deadDown.lastHttpStatusCode, 503);
  assert.equal(EventGridEventSchema.parse(deadDown.event).subject, write.resourceId);
  const deadRejected = emulator.eventGrid.deadLetters.find((d) => d.subscriptionId === rejectingId)!;
  assert.equal(deadRejected.deadLetterReason, 'NonRetriableHttpStatus');
  assert.equal(CloudEventSchema.parse(deadRejected.event).subject, write.resourceId);
});

test('an endpoint that throws or cannot be reached never fails the operation; it is logged and retried', async (t) => {
  let calls = 0;
  const id = await subscribed(t, {
    name: 'throws',
    schema: 'EventGridSchema',
    maxDeliveryAttempts: 2,
    deliver: async () => {
      calls++;
      throw new Error('endpoint exploded');
    },
  });
  assert.doesNotThrow(() => core.armOperations.publish(roleAssignmentWrite()));
  await emulator.eventGrid.flush();
  assert.equal(calls, 2);
  const attempts = emulator.eventGrid.deliveries.filter((d) => d.subscriptionId === id);
  assert.deepEqual(
    attempts.map((d) => [d.status, d.error]),
    [
      [undefined, 'endpoint exploded'],
      [undefined, 'endpoint exploded'],
    ],
  );
});

test('unsubscribing drops what was still waiting', async () => {
  const held = recorder();
  const id = await emulator.eventGrid.subscribe({ name: 'dropped', deliver: held.deliver, schema: 'EventGridSchema', delayMs: 3_600_000 });
  core.armOperations.publish(roleAssignmentWrite());
  assert.equal(emulator.eventGrid.unsubscribe(id), true);
  await emulator.eventGrid.flush();
  assert.equal(held.received.length, 0);
  assert.equal(emulator.eventGrid.unsubscribe(id), false);
});

test('the control routes subscribe, list, flush, report and remove', async () => {
  const webhook = await startWebhook();
  const created = await call(emulator, 'POST', '/_emulator/eventgrid/subscriptions', {
    body: { name: 'via-http', endpointUrl: webhook.url, schema: 'EventGridSchema', operationNames: ['Microsoft.Authorization/roleAssignments/write'], delayMs: 3_600_000 },
  });
  assert.equal(created.status, 201);
  assert.equal(created.body.name, 'via-http');
  assert.equal(created.body.destination, 'webhook');
  const listed = await call(emulator, 'GET', '/_emulator/eventgrid/subscriptions');
  assert.deepEqual(
    listed.body.value.map((s: any) => s.id),
    [created.body.id],
  );
  const duplicate = await call(emulator, 'POST', '/_emulator/eventgrid/subscriptions', { body: { name: 'VIA-HTTP', endpointUrl: webhook.url, schema: 'EventGridSchema' } });
  assert.equal(duplicate.status, 409);
  assert.equal(duplicate.body.error.code, 'EventSubscriptionNameInUse');

  core.armOperations.publish(roleAssignmentWrite());
  assert.equal(webhook.notifications().length, 0);
  const flushed = await call(emulator, 'POST', '/_emulator/eventgrid/flush');
  assert.equal(flushed.status, 200);
  assert.equal(webhook.notifications().length, 1);
  const report = await call(emulator, 'GET', '/_emulator/eventgrid/deliveries');
  assert.equal(report.body.deliveries.filter((d: any) => d.subscriptionId === created.body.id).length, 1);

  assert.equal((await call(emulator, 'DELETE', `/_emulator/eventgrid/subscriptions/${created.body.id}`)).status, 204);
  const again = await call(emulator, 'DELETE', `/_emulator/eventgrid/subscriptions/${created.body.id}`);
  assert.equal(again.status, 404);
  assert.equal(again.body.error.code, 'EventSubscriptionNotFound');
});

test('the control route refuses an invalid subscription and a failed handshake', async () => {
  const invalid = await call(emulator, 'POST', '/_emulator/eventgrid/subscriptions', { body: { name: 'x', schema: 'Custom' } });
  assert.equal(invalid.status, 400);
  assert.equal(invalid.body.error.code, 'InvalidControlRequest');
  assert.match(invalid.body.error.message, /name: 3 to 64 letters/);
  assert.match(invalid.body.error.message, /endpointUrl/);
  assert.match(invalid.body.error.message, /schema/);
  const refusing = await startWebhook(() => ({ status: 403 }));
  const refused = await call(emulator, 'POST', '/_emulator/eventgrid/subscriptions', { body: { name: 'refusing', endpointUrl: refusing.url, schema: 'EventGridSchema' } });
  assert.equal(refused.status, 400);
  assert.equal(refused.body.error.code, 'WebhookValidationFailed');
  assert.match(refused.body.error.message, /expected 200 with the validation code, got 403/);
});

test('end to end: a role assignment PUT through AuthorizationManagementClient reaches the webhook as a valid event within the delay', async (t) => {
  const delayMs = 200;
  const webhook = await startWebhook();
  await subscribed(t, {
    name: 'idwarden-activity',
    endpointUrl: webhook.url,
    schema: 'EventGridSchema',
    includedEventTypes: ['Microsoft.Resources.ResourceWriteSuccess', 'Microsoft.Resources.ResourceDeleteSuccess'],
    operationNames: ['Microsoft.Authorization/roleAssignments/write', 'Microsoft.Authorization/roleAssignments/delete'],
    delayMs,
  });
  // The admin grants the bot's neighbour identity Reader on the dev subscription, as in the portal.
  const client = new AuthorizationManagementClient(credentialFor(emulator, HUMAN_ADMIN), SUB_DEV, {
    endpoint: emulator.baseUrl,
    credentialScopes: ['https://management.azure.com/.default'],
  });
  const scope = `/subscriptions/${SUB_DEV}`;
  const name = randomUUID();
  let publishedAt = 0;
  const stopWatching = core.armOperations.subscribe(() => {
    publishedAt = Date.now();
  });
  t.after(stopWatching);
  const created = await client.roleAssignments.create(scope, name, {
    roleDefinitionId: `${scope}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7`,
    principalId: UAMI_PRINCIPAL,
    principalType: 'ServicePrincipal',
  });
  const [delivery] = await webhook.waitForNotifications(1);
  const elapsed = delivery!.at - publishedAt;
  assert.ok(elapsed >= delayMs && elapsed < delayMs + 5_000, `arrived after ${elapsed} ms`);
  const event = EventGridEventSchema.parse(delivery!.body[0]);
  assert.equal(event.subject.toLowerCase(), created.id!.toLowerCase());
  assert.equal(event.data.operationName, 'Microsoft.Authorization/roleAssignments/write');
  assert.equal(event.data.authorization.evidence['role'], 'Owner');
  assert.equal(event.data.claims['http://schemas.microsoft.com/identity/claims/objectidentifier'], HUMAN_ADMIN);

  // The bot itself holds only Reader: its attempt is refused by ARM and raises no event.
  const asBot = new AuthorizationManagementClient(new ManagedIdentityCredential({ clientId: BOT_CLIENT }), SUB_DEV, {
    endpoint: emulator.baseUrl,
    credentialScopes: ['https://management.azure.com/.default'],
  });
  await assert.rejects(asBot.roleAssignments.delete(scope, name), (error: any) => error.statusCode === 403 && error.code === 'AuthorizationFailed');
  await emulator.eventGrid.flush();
  assert.equal(webhook.notifications().length, 1);
});
