import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import azureFunctions from '@azure/functions';
import type { HttpResponseInit } from '@azure/functions';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { credentialFor, useEmulator } from '../support/emulator.ts';
import { useAzurite } from '../support/azurite.ts';
import { loadFunctionsApp, invocationContext } from '../support/functions-host.ts';
import { smallTenant } from '../support/seeds.ts';
import { HUMAN_ADMIN, SUB_PROD, UAMI_PRINCIPAL } from '../support/ids.ts';
import { ARM_SCOPE } from '../../src/azure/clients.ts';
import { ConfigError } from '../../src/azure/config.ts';
import { sharedRuntime } from '../../src/runtime/runtime.ts';
import { loadRuntimeSettings } from '../../src/runtime/settings.ts';
import { createTableClient, loadStorageConfig } from '../../src/state/connection.ts';

/**
 * With IDWARDEN_WEBHOOK_KEY set, the webhook function answers only calls that carry exactly that key, in `?key=`
 * or `x-idwarden-key`; anything else gets 401 and is not processed: no ledger claim, no finding. Its own file:
 * the runtime reads the environment once per process.
 */

const KEY = randomBytes(24).toString('base64url');
const emulator = await useEmulator({ seed: smallTenant() });
const azurite = await useAzurite();
Object.assign(process.env, emulator.env, {
  IDWARDEN_STORAGE_CONNECTION_STRING: azurite.connectionString,
  IDWARDEN_TABLE_PREFIX: `key${process.pid}`,
  IDWARDEN_WEBHOOK_KEY: KEY,
});
const functions = await loadFunctionsApp();
const webhook = functions.get('eventGridWebhook')!;
const runtime = await sharedRuntime();

const OWNER = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';
const USER_ACCESS_ADMINISTRATOR = '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9';
const RBAC_ADMINISTRATOR = 'f58310d9-a9f6-439a-9e8d-f62e7b41a168';

/** Real ARM events, as Event Grid renders them, for a privileged assignment the human admin grants (not delivered yet). */
const pending: unknown[][] = [];
await emulator.eventGrid.subscribe({
  name: 'collect',
  schema: 'EventGridSchema',
  deliver: async (body) => {
    pending.push(body as unknown[]);
    return 200;
  },
});
async function privilegedGrantEvents(name: string, role: string): Promise<unknown[]> {
  pending.length = 0;
  const asAdmin = new AuthorizationManagementClient(credentialFor(emulator, HUMAN_ADMIN), SUB_PROD, { endpoint: emulator.baseUrl, credentialScopes: [ARM_SCOPE] });
  await asAdmin.roleAssignments.create(`/subscriptions/${SUB_PROD}`, name, {
    roleDefinitionId: `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleDefinitions/${role}`,
    principalId: UAMI_PRINCIPAL,
    principalType: 'ServicePrincipal',
  });
  await emulator.eventGrid.flush();
  assert.ok(pending.length > 0, 'Event Grid rendered the write');
  return pending.flat();
}

async function post(body: string, { query = '', headers = {} }: { query?: string; headers?: Record<string, string> } = {}): Promise<{ response: HttpResponseInit; logs: string[] }> {
  const request = new azureFunctions.HttpRequest({ method: 'POST', url: `https://idwarden.example/api/events${query}`, headers, body: { string: body } });
  const { context, logs } = invocationContext('eventGridWebhook');
  const response = (await webhook.handler(request, context)) as HttpResponseInit;
  return { response, logs: logs.map((log) => `${log.level} ${log.message}`) };
}

/** What processing leaves behind: event claims, object observations, findings. */
async function stateCounts(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const name of runtime.state.tables) {
    let count = 0;
    for await (const _entity of (await createTableClient(loadStorageConfig(process.env), name)).listEntities()) count += 1;
    counts[name.slice(String(process.env['IDWARDEN_TABLE_PREFIX']).length)] = count;
  }
  return counts;
}

const refused = (response: HttpResponseInit) => {
  assert.equal(response.status, 401);
  assert.deepEqual(response.jsonBody, { error: 'missing or wrong key' });
};

test('a key shorter than 16 characters is a configuration error, not a weak key', () => {
  assert.throws(() => loadRuntimeSettings({ IDWARDEN_WEBHOOK_KEY: 'short-key' }), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.issues, [{ variable: 'IDWARDEN_WEBHOOK_KEY', message: 'must be at least 16 characters' }]);
    return true;
  });
});

test('calls without the key, with a wrong key or a key of the wrong length get 401 and leave no trace', async () => {
  const events = JSON.stringify(await privilegedGrantEvents('5ec00000-0000-4000-8000-000000000001', OWNER));
  const before = await stateCounts();
  const flipped = `${KEY.slice(0, -1)}${KEY.endsWith('A') ? 'B' : 'A'}`;
  const attempts: [string, { query?: string; headers?: Record<string, string> }][] = [
    ['no key', {}],
    ['a wrong key of the same length', { query: `?key=${flipped}` }],
    ['a wrong key in the header', { headers: { 'x-idwarden-key': flipped } }],
    ['the key cut short', { query: `?key=${KEY.slice(0, -1)}` }],
    ['the key with a character more', { headers: { 'x-idwarden-key': `${KEY}x` } }],
    ['the key in other case', { query: `?key=${encodeURIComponent(KEY.toUpperCase() === KEY ? KEY.toLowerCase() : KEY.toUpperCase())}` }],
    ['an empty key', { query: '?key=' }],
    ['the Functions host key parameter instead', { query: `?code=${KEY}` }],
    ['another header', { headers: { authorization: `Bearer ${KEY}` } }],
    // The query wins over the header: a wrong key there is not rescued by the right one in the header.
    ['a wrong query key beside the right header', { query: `?key=${flipped}`, headers: { 'x-idwarden-key': KEY } }],
  ];
  for (const [what, options] of attempts) {
    const { response, logs } = await post(events, options);
    refused(response);
    assert.deepEqual(logs, ['warning webhook call refused: missing or wrong key'], what);
  }
  // Neither the handshakes nor a body that is not even JSON get past the key.
  const handshake = await webhook.handler(
    new azureFunctions.HttpRequest({ method: 'OPTIONS', url: 'https://idwarden.example/api/events', headers: { 'webhook-request-origin': 'eventgrid.azure.net' } }),
    invocationContext('eventGridWebhook').context,
  );
  refused(handshake as HttpResponseInit);
  refused((await post('{not json', {})).response);
  assert.deepEqual(await stateCounts(), before, 'no claim, no observation, no finding');
  assert.deepEqual(await runtime.state.findings.listOpen(), []);
});

test('the right key, in ?key= or in x-idwarden-key, is processed: the events are claimed and judged', async () => {
  const viaQuery = await privilegedGrantEvents('5ec00000-0000-4000-8000-000000000002', USER_ACCESS_ADMINISTRATOR);
  const first = await post(JSON.stringify(viaQuery), { query: `?key=${encodeURIComponent(KEY)}` });
  assert.equal(first.response.status, 200, first.logs.join('\n'));
  assert.ok(first.logs.some((line) => /event judged .*findings=[1-9]/.test(line)), first.logs.join('\n'));

  const viaHeader = await privilegedGrantEvents('5ec00000-0000-4000-8000-000000000003', RBAC_ADMINISTRATOR);
  const second = await post(JSON.stringify(viaHeader), { headers: { 'x-idwarden-key': KEY } });
  assert.equal(second.response.status, 200, second.logs.join('\n'));
  assert.ok(second.logs.some((line) => /event judged .*findings=[1-9]/.test(line)), second.logs.join('\n'));

  const counts = await stateCounts();
  assert.ok(counts['Events']! >= viaQuery.length + viaHeader.length, `every event was claimed: ${JSON.stringify(counts)}`);
  assert.ok((await runtime.state.findings.listOpen()).some((stored) => stored.finding.ruleId === 'privileged-role-broad-scope'));
});

test('with the key: a body that is not JSON is 400; JSON that holds no event is answered 200 with the rejection counted', async () => {
  const withKey = { headers: { 'x-idwarden-key': KEY } };
  for (const body of ['{not json', '', '<xml/>', '[{"id":1},']) {
    const { response, logs } = await post(body, withKey);
    assert.deepEqual([response.status, response.jsonBody], [400, { error: 'the body is not JSON' }], body);
    assert.deepEqual(logs, ['warning webhook call refused: body is not JSON']);
  }
  for (const body of ['null', '42', '"text"', '{}', '[]']) {
    const { response } = await post(body, withKey);
    // Redelivering a delivery that holds no event cannot help: it is acknowledged, and what was wrong is logged.
    assert.equal(response.status, 200, body);
  }
  const { response, logs } = await post('[null, {"id": "x"}]', withKey);
  assert.deepEqual(response.jsonBody, { processed: 0, rejected: 2 });
  assert.equal(logs.filter((line) => line.startsWith('warning event rejected')).length, 2);
});

test('a body larger than an Event Grid delivery (1 MB) is refused with 413 before anything is parsed', async () => {
  const junk = JSON.stringify(Array.from({ length: 40_000 }, (_, index) => ({ id: `junk-${index}`, eventType: 'Microsoft.Resources.ResourceWriteSuccess', data: { filler: 'x'.repeat(40) } })));
  const { response, logs } = await post(junk, { headers: { 'x-idwarden-key': KEY } });
  assert.equal(response.status, 413);
  assert.equal(logs.length, 1);
  assert.match(logs[0]!, /over Event Grid's 1 MB delivery limit/);
});
