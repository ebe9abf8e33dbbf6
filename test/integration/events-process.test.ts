import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createAzureClients } from '../../src/azure/clients.ts';
import { loadAzureConfig } from '../../src/azure/config.ts';
import { RoleAssignments } from '../../src/azure/role-assignments.ts';
import { processEvent, processEventBatch, type EventDeps, type EventLedger, type EventOutcome } from '../../src/events/process-event.ts';
import { parseEventBatch, type ArmEvent } from '../../src/events/schema.ts';
import { SUCCESS_EVENT_TYPES, watchedOperations } from '../../src/events/watched-operations.ts';
import { loadPolicyFile, parsePolicy } from '../../src/policy/load.ts';
import type { EventLedger as StoredEventLedger } from '../../src/state/event-ledger.ts';
import { call, credentialFor, tokenFor, useEmulator } from '../support/emulator.ts';
import { smallTenant } from '../support/seeds.ts';
import { BOT_PRINCIPAL, HUMAN_ADMIN, MG_PROD, SUB_DEV, SUB_PROD, TENANT_ID, UAMI_PRINCIPAL } from '../support/ids.ts';

const WEB_READER_ROLE = '7e57ab1e-0000-4000-8000-000000000001';
const OWNER = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';
const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
const CONTRIBUTOR = 'b24988ac-6180-42a0-ab88-20f7382dd24c';
const USER_ACCESS_ADMINISTRATOR = '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9';
const ORPHAN_ASSIGNMENT = 'dead0000-0000-4000-8000-00000000a001';
/** Exists nowhere: no identity, service principal, user or group has this id. */
const GONE_PRINCIPAL = 'dead0000-0000-4000-8000-0000000000a2';

const base = smallTenant();
const emulator = await useEmulator({
  seed: smallTenant({
    roleDefinitions: [{ id: WEB_READER_ROLE, roleName: 'web-reader', assignableScopes: [`/subscriptions/${SUB_PROD}`], permissions: [{ actions: ['Microsoft.Web/sites/read'] }] }],
    roleAssignments: [
      ...(base.roleAssignments ?? []),
      // The bot may remove assignments in dev: its own deletes come back as events.
      { scope: `/subscriptions/${SUB_DEV}`, role: 'Role Based Access Control Administrator', principalId: BOT_PRINCIPAL },
      { scope: `/subscriptions/${SUB_PROD}`, role: 'web-reader', principalId: UAMI_PRINCIPAL },
      // Created long ago for a principal that exists nowhere: an orphan past any grace period.
      { name: ORPHAN_ASSIGNMENT, scope: `/subscriptions/${SUB_PROD}/resourceGroups/rg-app`, role: 'Reader', principalId: GONE_PRINCIPAL, createdOn: '2026-01-05T00:00:00Z' },
    ],
  }),
});
const { core } = emulator;
const config = loadAzureConfig(emulator.env);
const botClients = createAzureClients(config);
const admin = createAzureClients(config, credentialFor(emulator, HUMAN_ADMIN));
const adminAssignments = new RoleAssignments(admin);
const defaultPolicy = loadPolicyFile(new URL('../../src/policy/default-policy.yaml', import.meta.url).pathname);

/** The state store's idempotency and ordering, as small as the contract allows. */
function memoryLedger(): EventLedger & { claims: Map<string, 'claimed' | 'completed'> } {
  const claims = new Map<string, 'claimed' | 'completed'>();
  const latest = new Map<string, number>();
  return {
    claims,
    async claim(eventId) {
      const state = claims.get(eventId);
      if (state) return { claimed: false, because: state === 'completed' ? 'completed' : 'in-progress' };
      claims.set(eventId, 'claimed');
      return { claimed: true };
    },
    complete: async (eventId) => void claims.set(eventId, 'completed'),
    release: async (eventId) => void claims.delete(eventId),
    async observe(objectKey, eventTime) {
      const at = Date.parse(eventTime);
      if (at < (latest.get(objectKey) ?? -Infinity)) return { stale: true };
      latest.set(objectKey, at);
      return { stale: false };
    },
  };
}

/** The state store's ledger is what the Functions layer passes in: the compiler checks it fits the event path. */
export const storeLedgerFits = (ledger: StoredEventLedger): EventLedger => ledger;

const depsWith = (overrides: Partial<EventDeps> = {}): EventDeps => ({
  clients: botClients,
  policy: defaultPolicy,
  botPrincipalId: BOT_PRINCIPAL,
  now: () => core.clock.now(),
  ledger: memoryLedger(),
  ...overrides,
});

// The bot's subscription: the watched operations, one event per delivery, captured so each test decides when and in
// which order they are processed.
const delivered: unknown[] = [];
await emulator.eventGrid.subscribe({
  name: 'idwarden-events',
  schema: 'EventGridSchema',
  includedEventTypes: [...new Set(watchedOperations.flatMap((operation) => operation.eventTypes))],
  operationNames: watchedOperations.map((operation) => operation.operationName),
  deliver: async (body) => void delivered.push(body),
});

/** What was delivered since the last call: runs `action`, then lets Event Grid deliver everything pending. */
async function deliveriesOf(action: () => Promise<unknown>): Promise<unknown[]> {
  const from = delivered.length;
  await action();
  await emulator.eventGrid.flush();
  return delivered.slice(from);
}

const eventsOf = (bodies: unknown[]) => bodies.flatMap((body) => parseEventBatch(body).events);

async function createAssignment(scope: string, roleGuid: string, principalId = UAMI_PRINCIPAL) {
  const roleDefinitionId = `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid}`;
  return adminAssignments.create(scope, { roleDefinitionId, principalId, principalType: 'ServicePrincipal' });
}

/** A hint as Event Grid would send it, for an object that already exists (the event path re-reads it anyway). */
const hintFor = (resourceUri: string, operationName: string): ArmEvent => ({
  id: randomUUID(),
  eventType: SUCCESS_EVENT_TYPES.write,
  subject: resourceUri,
  resourceUri,
  operationName,
  status: 'Succeeded',
  subscriptionId: SUB_PROD,
  tenantId: TENANT_ID,
  eventTime: core.clock.now().toISOString(),
  correlationId: null,
  callerPrincipalId: HUMAN_ADMIN,
  callerAppId: null,
  httpMethod: 'PUT',
  schema: 'EventGridSchema',
});

const only = <T>(items: T[]): T => {
  assert.equal(items.length, 1, `expected exactly one, got ${items.length}`);
  return items[0]!;
};

test('the admin gives a managed identity Owner at subscription scope: the delivered event yields a privileged-role-broad-scope finding from the event path', async () => {
  const deps = depsWith();
  const outcomes: EventOutcome[] = [];
  // The bot's handler in-process: every delivery goes straight through the processing, as the Functions adapter will.
  const id = await emulator.eventGrid.subscribe({
    name: 'idwarden-handler',
    schema: 'EventGridSchema',
    operationNames: watchedOperations.map((operation) => operation.operationName),
    deliver: async (body) => void outcomes.push(...(await processEventBatch(body, deps)).outcomes),
  });
  try {
    const assignment = await createAssignment(`/subscriptions/${SUB_PROD}`, OWNER);
    await emulator.eventGrid.flush();
    const outcome = only(outcomes);
    assert.equal(outcome.status, 'judged', outcome.reason);
    assert.deepEqual(outcome.object, { kind: 'roleAssignment', id: assignment.id, change: 'write' });
    const finding = outcome.findings.find((candidate) => candidate.ruleId === 'privileged-role-broad-scope');
    assert.ok(finding, outcome.findings.map((candidate) => candidate.ruleId).join(', '));
    assert.equal(finding.source, 'event');
    assert.equal(finding.severity, 'high');
    assert.equal(finding.roleAssignmentId, assignment.id);
    assert.equal(finding.roleName, 'Owner');
    assert.equal(finding.principalId, UAMI_PRINCIPAL);
    assert.equal(finding.principalType, 'ManagedIdentity');
    assert.deepEqual(finding.decision, { action: 'remediate', dryRun: true });
    assert.deepEqual(
      outcome.findings.map((candidate) => candidate.ruleId),
      ['privileged-role-broad-scope', 'unconstrained-role-delegation'],
      'Owner can also write role assignments without a condition',
    );
    assert.deepEqual(outcome.gaps, []);
    assert.ok(outcome.latencyMs >= 0 && outcome.latencyMs < 60_000, `latency ${outcome.latencyMs} ms`);
  } finally {
    emulator.eventGrid.unsubscribe(id);
  }
});

test('Reader at subscription scope: judged with no finding, and the assignment’s open findings of those rules resolve', async () => {
  let assignment!: Awaited<ReturnType<typeof createAssignment>>;
  const bodies = await deliveriesOf(async () => (assignment = await createAssignment(`/subscriptions/${SUB_PROD}`, READER)));
  const outcome = await processEvent(only(eventsOf(bodies)), depsWith());
  assert.equal(outcome.status, 'judged');
  assert.deepEqual(outcome.findings, []);
  assert.deepEqual(outcome.resolvedObjectIds, [assignment.id]);
  assert.deepEqual(outcome.resolvedForRules, ['privileged-role-broad-scope', 'unconstrained-role-delegation', 'custom-role-wildcard', 'orphaned-role-assignment']);
});

test('an event for an assignment already deleted is gone, and names it for resolution; duplicate delivery is recognised', async () => {
  let id = '';
  const bodies = await deliveriesOf(async () => {
    id = (await createAssignment(`/subscriptions/${SUB_PROD}/resourceGroups/rg-app`, CONTRIBUTOR)).id;
    await adminAssignments.deleteById(id);
  });
  const [write, remove] = eventsOf(bodies);
  assert.equal(write?.eventType, SUCCESS_EVENT_TYPES.write);
  assert.equal(remove?.eventType, SUCCESS_EVENT_TYPES.delete);
  const deps = depsWith();
  const late = await processEvent(write!, deps);
  assert.equal(late.status, 'gone', late.reason);
  assert.deepEqual(late.resolvedObjectIds, [id]);
  assert.equal(late.resolvedForRules.length, 11, 'a gone assignment resolves every rule');
  const deleted = await processEvent(remove!, deps);
  assert.equal(deleted.status, 'gone');
  assert.deepEqual(deleted.resolvedObjectIds, [id]);

  const again = await processEvent(remove!, deps);
  assert.equal(again.status, 'duplicate');
  assert.deepEqual(again.resolvedObjectIds, []);
});

test('a delete arriving before its write: the late write is stale', async () => {
  let id = '';
  const [write, remove] = eventsOf(
    await deliveriesOf(async () => {
      id = (await createAssignment(`/subscriptions/${SUB_PROD}/resourceGroups/rg-app`, OWNER)).id;
      core.clock.advance(1_000);
      await adminAssignments.deleteById(id);
    }),
  );
  const deps = depsWith();
  const first = await processEvent(remove!, deps);
  assert.equal(first.status, 'gone');
  const lateWrite = await processEvent(write!, deps);
  assert.equal(lateWrite.status, 'stale', lateWrite.reason);
  assert.deepEqual(lateWrite.findings, []);
  assert.deepEqual(lateWrite.resolvedObjectIds, [], 'stale events decide nothing');
});

test('an orphaned assignment is found when the directory answers, and not when Graph fails: judged with a gap, nothing resolved', async () => {
  const orphanId = `/subscriptions/${SUB_PROD}/resourceGroups/rg-app/providers/Microsoft.Authorization/roleAssignments/${ORPHAN_ASSIGNMENT}`;
  const answered = await processEvent(hintFor(orphanId, 'Microsoft.Authorization/roleAssignments/write'), depsWith());
  assert.equal(answered.status, 'judged');
  assert.deepEqual(
    answered.findings.map((finding) => finding.ruleId),
    ['orphaned-role-assignment'],
  );

  for (const status of [403, 500]) {
    const rule = core.faults.add({
      route: 'graph.directoryObjects.getByIds',
      response: { status, body: { error: { code: status === 403 ? 'Authorization_RequestDenied' : 'generalException', message: `injected ${status}` } } },
    });
    try {
      const outcome = await processEvent(hintFor(orphanId, 'Microsoft.Authorization/roleAssignments/write'), depsWith());
      assert.equal(outcome.status, 'judged', outcome.reason);
      assert.deepEqual(outcome.findings, [], `${status}: no orphan without a directory answer`);
      assert.deepEqual(
        outcome.gaps.map((gap) => [gap.area, gap.statusCode]),
        [['principals', status]],
      );
      assert.deepEqual(outcome.resolvedObjectIds, [], 'silence for want of data resolves nothing');
    } finally {
      core.faults.remove(rule);
    }
  }
});

test('a user-assigned identity created by the admin yields a new-identity finding, the same from a CloudEvents subscription', async () => {
  const name = `uami-${randomUUID().slice(0, 8)}`;
  const cloudEvents: unknown[] = [];
  const subscription = await emulator.eventGrid.subscribe({
    name: 'idwarden-cloudevents',
    schema: 'CloudEventSchemaV1_0',
    operationNames: ['Microsoft.ManagedIdentity/userAssignedIdentities/write'],
    deliver: async (body) => void cloudEvents.push(body),
  });
  let bodies: unknown[];
  try {
    bodies = await deliveriesOf(async () => {
      const client = await admin.managedIdentities(SUB_PROD);
      await client.userAssignedIdentities.createOrUpdate('rg-app', name, { location: 'westeurope' });
    });
  } finally {
    emulator.eventGrid.unsubscribe(subscription);
  }
  const outcome = await processEvent(only(eventsOf(bodies)), depsWith());
  assert.equal(outcome.status, 'judged', outcome.reason);
  const finding = only(outcome.findings);
  assert.equal(finding.ruleId, 'new-identity');
  assert.equal(finding.source, 'event');
  assert.match(finding.identityResourceId!, new RegExp(`/userAssignedIdentities/${name}$`));
  assert.equal(finding.principalType, 'ManagedIdentity');
  assert.equal(finding.evidence['identityType'], 'userAssigned');
  assert.equal(finding.decision.action, 'alert');

  // One CloudEvent, not an array: the schema the subscription asked for.
  const single = only(cloudEvents);
  assert.equal(Array.isArray(single), false);
  const fromCloudEvent = only((await processEventBatch(single, depsWith())).outcomes);
  assert.deepEqual(fromCloudEvent.findings.map((candidate) => candidate.id), [finding.id]);
});

test('a web app created with a system-assigned identity yields a new-identity finding; one without an identity is gone for the event path', async () => {
  const site = (name: string) => `/subscriptions/${SUB_PROD}/resourceGroups/rg-app/providers/Microsoft.Web/sites/${name}`;
  const put = (name: string, identity?: unknown) =>
    call(emulator, 'PUT', `${site(name)}?api-version=2023-12-01`, { token: tokenFor(emulator, HUMAN_ADMIN), body: { location: 'westeurope', ...(identity ? { identity } : {}) } });
  const [withIdentity, without] = eventsOf(
    await deliveriesOf(async () => {
      assert.equal((await put('app-with-identity', { type: 'SystemAssigned' })).status, 201);
      assert.equal((await put('app-without-identity')).status, 201);
    }),
  );
  const deps = depsWith();
  const judged = await processEvent(withIdentity!, deps);
  const finding = only(judged.findings);
  assert.equal(finding.ruleId, 'new-identity');
  assert.equal(finding.identityResourceId, site('app-with-identity'));
  assert.equal(finding.evidence['identityType'], 'systemAssigned');
  const principalId = core.tenant.resource(site('app-with-identity'))!.identity!.principalId!;
  assert.equal(finding.principalId, principalId.toLowerCase());

  const none = await processEvent(without!, deps);
  assert.equal(none.status, 'gone');
  assert.match(none.reason, /has no system-assigned identity/);
});

test('the bot’s own removal comes back as an own-action event, which resolves what it fixed', async () => {
  let created!: Awaited<ReturnType<typeof createAssignment>>;
  await deliveriesOf(async () => (created = await createAssignment(`/subscriptions/${SUB_DEV}`, READER)));
  const bodies = await deliveriesOf(() => new RoleAssignments(botClients).deleteById(created.id));
  const outcome = await processEvent(only(eventsOf(bodies)), depsWith());
  assert.equal(outcome.status, 'own-action', outcome.reason);
  assert.deepEqual(outcome.object, { kind: 'roleAssignment', id: created.id, change: 'delete' });
  assert.deepEqual(outcome.resolvedObjectIds, [created.id]);
  assert.deepEqual(outcome.findings, []);
});

test('a custom role edited to "*" is judged again through every assignment of it', async () => {
  const roleId = `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleDefinitions/${WEB_READER_ROLE}`;
  const bodies = await deliveriesOf(async () => {
    const client = await admin.authorization(SUB_PROD);
    await client.roleDefinitions.createOrUpdate(`/subscriptions/${SUB_PROD}`, WEB_READER_ROLE, {
      roleName: 'web-reader',
      roleType: 'CustomRole',
      assignableScopes: [`/subscriptions/${SUB_PROD}`],
      permissions: [{ actions: ['*'], notActions: [] }],
    });
  });
  const outcome = await processEvent(only(eventsOf(bodies)), depsWith());
  assert.equal(outcome.status, 'judged', outcome.reason);
  assert.deepEqual(outcome.object, { kind: 'roleDefinition', id: roleId, change: 'write' });
  assert.deepEqual(outcome.findings.map((finding) => finding.ruleId).sort(), ['custom-role-wildcard', 'privileged-role-broad-scope', 'unconstrained-role-delegation']);
  for (const finding of outcome.findings) assert.equal(finding.principalId, UAMI_PRINCIPAL);
  assert.deepEqual(outcome.resolvedObjectIds, [roleId]);
});

test('the object itself cannot be read: failed with the ARM error, and the claim is given back so the retry is processed', async () => {
  const bodies = await deliveriesOf(() => createAssignment(`/subscriptions/${SUB_PROD}/resourceGroups/rg-app`, READER));
  const event = only(eventsOf(bodies));
  const deps = depsWith();
  const rule = core.faults.add({
    route: 'arm.roleAssignments.get',
    times: 1,
    response: { status: 403, body: { error: { code: 'AuthorizationFailed', message: 'injected: no read access' } } },
  });
  try {
    const failed = await processEvent(event, deps);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.name, 'AzureApiError');
    assert.equal(failed.error?.code, 'AuthorizationFailed');
    assert.equal(failed.error?.statusCode, 403);
    assert.equal(failed.error?.operation, 'roleAssignments.getById');
  } finally {
    core.faults.remove(rule);
  }
  const retried = await processEvent(event, deps);
  assert.equal(retried.status, 'judged', 'the retry is not taken for a duplicate');
});

test('a ledger that fails makes the event fail, never the handler', async () => {
  const event = hintFor(`/subscriptions/${SUB_PROD}/resourceGroups/rg-app/providers/Microsoft.Authorization/roleAssignments/${ORPHAN_ASSIGNMENT}`, 'Microsoft.Authorization/roleAssignments/write');
  const broken: EventLedger = { ...memoryLedger(), claim: () => Promise.reject(new Error('table storage unreachable')) };
  const outcome = await processEvent(event, depsWith({ ledger: broken }));
  assert.equal(outcome.status, 'failed');
  assert.deepEqual(outcome.error, { name: 'Error', message: 'table storage unreachable' });
});

test('an event another invocation holds right now is in progress (redeliver), not a duplicate (drop)', async () => {
  const event = hintFor(`/subscriptions/${SUB_PROD}/resourceGroups/rg-app/providers/Microsoft.Authorization/roleAssignments/${ORPHAN_ASSIGNMENT}`, 'Microsoft.Authorization/roleAssignments/write');
  const ledger = memoryLedger();
  ledger.claims.set(event.id, 'claimed');
  const held = await processEvent(event, depsWith({ ledger }));
  assert.equal(held.status, 'in-progress');
  ledger.claims.set(event.id, 'completed');
  assert.equal((await processEvent(event, depsWith({ ledger }))).status, 'duplicate');
});

test('a management-group policy scope reads the subscription’s chain to decide the finding is in scope', async () => {
  const scoped = parsePolicy(`version: 1\nscope: { include: [/providers/Microsoft.Management/managementGroups/${MG_PROD}] }\n`, 'test');
  const elsewhere = parsePolicy('version: 1\nscope: { include: [/providers/Microsoft.Management/managementGroups/mg-other] }\n', 'test');
  const bodies = await deliveriesOf(() => createAssignment(`/subscriptions/${SUB_PROD}`, USER_ACCESS_ADMINISTRATOR));
  const event = only(eventsOf(bodies));
  const inScope = await processEvent(event, depsWith({ policy: scoped }));
  assert.deepEqual(inScope.findings.map((finding) => finding.ruleId), ['privileged-role-broad-scope', 'unconstrained-role-delegation']);
  const outOfScope = await processEvent(event, depsWith({ policy: elsewhere }));
  assert.equal(outOfScope.status, 'judged');
  assert.deepEqual(outOfScope.findings, []);
});

test('a batch: the malformed event is rejected and recorded, the valid ones processed; the validation handshake is answered', async () => {
  const [body] = await deliveriesOf(() => createAssignment(`/subscriptions/${SUB_PROD}/resourceGroups/rg-idwarden`, READER));
  const [valid] = body as unknown[];
  const batch = await processEventBatch([{ id: 'broken', eventType: 'Microsoft.Resources.ResourceWriteSuccess' }, valid], depsWith());
  assert.deepEqual(batch.rejected.map((entry) => [entry.index, entry.id]), [[0, 'broken']]);
  assert.equal(only(batch.outcomes).status, 'judged');
  assert.equal(batch.validationResponse, undefined);

  const handshake = await processEventBatch(
    [{ id: randomUUID(), topic: `/subscriptions/${SUB_PROD}`, subject: '', eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent', eventTime: '2026-11-20T10:00:00Z', data: { validationCode: 'code-1' }, dataVersion: '1', metadataVersion: '1' }],
    depsWith(),
  );
  assert.deepEqual(handshake, { outcomes: [], rejected: [], validationResponse: { validationResponse: 'code-1' } });
});
