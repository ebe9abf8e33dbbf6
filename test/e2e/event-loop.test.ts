import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import azureFunctions from '@azure/functions';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { credentialFor, useEmulator } from '../support/emulator.ts';
import { useAzurite } from '../support/azurite.ts';
import { loadFunctionsApp, invocationContext, type CapturedLog } from '../support/functions-host.ts';
import { smallTenant } from '../support/seeds.ts';
import { BOT_PRINCIPAL, HUMAN_ADMIN, MG_PROD, SUB_PROD, UAMI_PRINCIPAL } from '../support/ids.ts';
import { botGrants, withBotGrants } from '../support/bot-grants.ts';
import { sharedRuntime } from '../../src/runtime/runtime.ts';

// The bot holds exactly what a deployment with remediation on grants it, ABAC condition included (infra/data/bot-permissions.json).
const emulator = await useEmulator({
  seed: withBotGrants(smallTenant(), botGrants({ principalId: BOT_PRINCIPAL, targetScopes: [`/providers/Microsoft.Management/managementGroups/${MG_PROD}`], flags: { enableRemediation: true } })),
});
const azurite = await useAzurite();
const policyFile = join(mkdtempSync(join(tmpdir(), 'idwarden-')), 'policy.yaml');
writeFileSync(
  policyFile,
  `version: 1
enforcement: enforce
rules:
  privileged-role-broad-scope: { action: remediate, remediation: remove }
  unconstrained-role-delegation: { action: report }
`,
);
Object.assign(process.env, emulator.env, {
  IDWARDEN_STORAGE_CONNECTION_STRING: azurite.connectionString,
  IDWARDEN_POLICY_FILE: policyFile,
  IDWARDEN_TABLE_PREFIX: `e2e${process.pid}`,
});

const functions = await loadFunctionsApp();
const webhook = functions.get('eventGridWebhook')!;
const logs: CapturedLog[] = [];

/** The emulator's Event Grid posts to the bot's registered webhook handler, as the host would route it. */
async function deliverToWebhook(body: unknown, headers: Record<string, string>): Promise<number> {
  const request = new azureFunctions.HttpRequest({ method: 'POST', url: 'https://idwarden.example/api/events', headers, body: { string: JSON.stringify(body) } });
  const { context, logs: invocationLogs } = invocationContext('eventGridWebhook');
  const response = (await webhook.handler(request, context)) as { status: number };
  logs.push(...invocationLogs);
  return response.status;
}

test('the registered functions and their bindings', () => {
  assert.deepEqual([...functions.keys()].sort(), ['activityEvents', 'eventGridWebhook', 'health', 'scanSubscriptions', 'sweep']);
  const bindingTypes = (name: string) => Object.values(functions.get(name)!.metadata.bindings).map((binding) => binding.type).sort();
  assert.deepEqual(bindingTypes('activityEvents'), ['eventGridTrigger']);
  assert.deepEqual(bindingTypes('scanSubscriptions'), ['queueTrigger']);
  const timer = Object.values(functions.get('sweep')!.metadata.bindings).find((b) => b.type === 'timerTrigger')!;
  assert.equal(timer['schedule'], '%IDWARDEN_SWEEP_SCHEDULE%');
  const queue = Object.values(functions.get('scanSubscriptions')!.metadata.bindings).find((b) => b.type === 'queueTrigger')!;
  assert.equal(queue['queueName'], 'scan-requests');
});

test('a person grants Owner at subscription scope to a managed identity; the bot, fed by Event Grid with duplicates and reordering, removes it once and recognises its own removal', async () => {
  await emulator.eventGrid.subscribe({
    name: 'idwarden-e2e',
    schema: 'EventGridSchema',
    deliver: deliverToWebhook,
    duplicateProbability: 0.5,
    reorderWindowMs: 50,
    randomSeed: 7,
  });
  const asHuman = new AuthorizationManagementClient(credentialFor(emulator, HUMAN_ADMIN), SUB_PROD, {
    endpoint: emulator.baseUrl,
    credentialScopes: ['https://management.azure.com/.default'],
  });
  const name = '0e2e0000-0000-4000-8000-000000000001';
  const granted = await asHuman.roleAssignments.create(`/subscriptions/${SUB_PROD}`, name, {
    roleDefinitionId: `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635`,
    principalId: UAMI_PRINCIPAL,
    principalType: 'ServicePrincipal',
  });
  const grantedAt = Date.now();
  // Deliver the write (and its duplicates); the bot's delete raises a delete event, delivered by the next flush.
  await emulator.eventGrid.flush();
  const decidedAt = Date.now();
  await emulator.eventGrid.flush();

  assert.equal(emulator.core.tenant.roleAssignment(granted.id!), undefined, 'the Owner assignment was removed');
  const runtime = await sharedRuntime();
  const audit = await runtime.state.audit.list();
  const deletions = audit.filter((record) => record.outcome === 'deleted' && record.target.toLowerCase() === granted.id!.toLowerCase());
  assert.equal(deletions.length, 1, 'exactly one removal, whatever the duplicates');
  assert.equal(deletions[0]!.actor, BOT_PRINCIPAL);
  assert.ok(deletions[0]!.requestIds.length > 0);

  const lines = logs.map((log) => log.message);
  assert.ok(lines.some((line) => /^event judged .*findings=2/.test(line)), lines.join('\n'));
  assert.ok(lines.some((line) => /^event duplicate /.test(line)), 'a duplicate delivery was recognised');
  assert.ok(lines.some((line) => /^event own-action /.test(line)), 'the removal came back as the bot\'s own action');
  const stored = await runtime.state.findings.get(deletions[0]!.findingId!);
  assert.equal(stored?.finding.source, 'event');
  console.log(`# event-to-decision: ${decidedAt - grantedAt} ms from the ARM write to the removal (in-process, emulator and Azurite on loopback)`);
});

test('a batch with one malformed event decides the valid ones and records the bad one', async () => {
  const { context, logs: batchLogs } = invocationContext('eventGridWebhook');
  const valid = {
    id: 'f0000000-0000-4000-8000-000000000001',
    topic: `/subscriptions/${SUB_PROD}`,
    subject: `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleAssignments/dddddddd-0000-4000-8000-000000000000`,
    eventType: 'Microsoft.Resources.ResourceWriteSuccess',
    eventTime: new Date().toISOString(),
    data: {
      operationName: 'Microsoft.Authorization/roleAssignments/write',
      resourceUri: `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleAssignments/dddddddd-0000-4000-8000-000000000000`,
      status: 'Succeeded',
      subscriptionId: SUB_PROD,
      tenantId: emulator.core.tenant.tenantId,
      correlationId: 'c0000000-0000-4000-8000-000000000001',
      authorization: { scope: '/', action: 'Microsoft.Authorization/roleAssignments/write', evidence: {} },
      claims: {},
    },
    dataVersion: '2',
    metadataVersion: '1',
  };
  const request = new azureFunctions.HttpRequest({
    method: 'POST',
    url: 'https://idwarden.example/api/events',
    body: { string: JSON.stringify([valid, { id: 'broken', eventType: 42 }]) },
  });
  const response = await webhook.handler(request, context);
  assert.equal((response as { status: number }).status, 200);
  const lines = batchLogs.map((log) => `${log.level} ${log.message}`);
  assert.ok(lines.some((line) => /^warning event rejected index=1 id=broken/.test(line)), lines.join('\n'));
  assert.ok(lines.some((line) => /event gone id=f0000000/.test(line)), lines.join('\n'));
});

test('the Event Grid validation handshake and the CloudEvents OPTIONS handshake', async () => {
  const validation = new azureFunctions.HttpRequest({
    method: 'POST',
    url: 'https://idwarden.example/api/events',
    headers: { 'aeg-event-type': 'SubscriptionValidation' },
    body: {
      string: JSON.stringify([
        {
          id: '2d1781af-3a4c-4d7c-bd0c-e34b19da4e66',
          topic: `/subscriptions/${SUB_PROD}`,
          subject: '',
          data: { validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6', validationUrl: 'https://rp-eastus2.eventgrid.azure.net:553/eventsubscriptions/x/validate?id=1' },
          eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
          eventTime: '2026-11-20T12:00:00.0000000Z',
          metadataVersion: '1',
          dataVersion: '1',
        },
      ]),
    },
  });
  const answer = (await webhook.handler(validation, invocationContext('eventGridWebhook').context)) as { status: number; jsonBody: unknown };
  assert.deepEqual([answer.status, answer.jsonBody], [200, { validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' }]);
  const cloudEvents = new azureFunctions.HttpRequest({ method: 'OPTIONS', url: 'https://idwarden.example/api/events', headers: { 'webhook-request-origin': 'eventgrid.azure.net' } });
  const options = (await webhook.handler(cloudEvents, invocationContext('eventGridWebhook').context)) as { status: number; headers: Record<string, string> };
  assert.equal(options.headers['WebHook-Allowed-Origin'], 'eventgrid.azure.net');
});

test('health reports version, policy hash, last sweep and that the state store answers', async () => {
  const { context } = invocationContext('health');
  const response = (await functions.get('health')!.handler(new azureFunctions.HttpRequest({ method: 'GET', url: 'https://idwarden.example/api/health' }), context)) as {
    status: number;
    jsonBody: { version: string; policyHash: string; stateStore: { reachable: boolean } };
  };
  assert.equal(response.status, 200);
  assert.equal(response.jsonBody.stateStore.reachable, true);
  assert.equal(response.jsonBody.policyHash, (await sharedRuntime()).policy.hash);
  assert.match(response.jsonBody.version, /^\d+\.\d+\.\d+/);
});

/** An ARM event as Event Grid's trigger binding hands it to the function. */
function roleAssignmentWritten(assignmentId: string, id: string) {
  return {
    id,
    topic: `/subscriptions/${SUB_PROD}`,
    subject: assignmentId,
    eventType: 'Microsoft.Resources.ResourceWriteSuccess',
    eventTime: new Date().toISOString(),
    data: {
      operationName: 'Microsoft.Authorization/roleAssignments/write',
      resourceUri: assignmentId,
      status: 'Succeeded',
      subscriptionId: SUB_PROD,
      tenantId: emulator.core.tenant.tenantId,
      authorization: {},
      claims: {},
    },
    dataVersion: '2',
    metadataVersion: '1',
  };
}

test('the Event Grid trigger asks for redelivery when it could not decide, and decides when the event comes again', async () => {
  const contributor = [...emulator.core.tenant.roleAssignments.values()].find((a) => a.principalId === UAMI_PRINCIPAL && a.scope === `/subscriptions/${SUB_PROD}`)!;
  const handler = functions.get('activityEvents')!.handler;
  const event = roleAssignmentWritten(contributor.id, 'a0000000-0000-4000-8000-00000000e001');
  const fault = emulator.core.faults.add({ route: 'arm.roleAssignments.get', response: { status: 500, body: { error: { code: 'InternalServerError', message: 'down' } } } });
  try {
    await assert.rejects(async () => handler(event, invocationContext('activityEvents').context), /was not decided; asking Event Grid to deliver it again/);
  } finally {
    emulator.core.faults.remove(fault);
  }
  assert.ok(emulator.core.tenant.roleAssignment(contributor.id), 'nothing was done while the assignment could not be read');
  const { context, logs: triggerLogs } = invocationContext('activityEvents');
  await handler(event, context);
  assert.ok(triggerLogs.some((log) => /^event judged /.test(log.message)), triggerLogs.map((l) => l.message).join('\n'));
  assert.equal(emulator.core.tenant.roleAssignment(contributor.id), undefined, 'the redelivered event removed the Contributor assignment');
});
