import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAzureConfig } from '../../src/azure/config.ts';
import { createCredential } from '../../src/azure/credential.ts';
import { createQueueClient, loadStorageConfig } from '../../src/state/connection.ts';
import { coverage } from '../../src/state/coverage.ts';
import { StateStoreError } from '../../src/state/errors.ts';
import { openStateStore } from '../../src/state/state-store.ts';
import { useAzurite } from '../support/azurite.ts';
import { useEmulator } from '../support/emulator.ts';
import { SUB_PROD } from '../support/ids.ts';
import { smallTenant } from '../support/seeds.ts';
import { aFinding, minute, roleAssignmentId } from '../support/state.ts';

/**
 * The Azure way: no account key, the bot's managed identity. Azurite in OAuth mode (HTTPS, the emulator's
 * certificate) requires a bearer token for https://storage.azure.com; the emulator's token endpoint issues it.
 */
const emulator = await useEmulator({ seed: smallTenant() });
const azurite = await useAzurite({ oauth: true });
const connection = loadStorageConfig({ IDWARDEN_STORAGE_TABLE_ENDPOINT: azurite.tableEndpoint, IDWARDEN_STORAGE_QUEUE_ENDPOINT: azurite.queueEndpoint });
const botCredential = createCredential(loadAzureConfig({ ...emulator.env, IDWARDEN_CREDENTIAL: 'managed-identity' }));

test("the store works identity-based with the bot's managed-identity token", async () => {
  const store = await openStateStore({ connection, credential: botCredential, tablePrefix: 'identity' });
  const finding = aFinding({ roleAssignmentId: roleAssignmentId('ra-identity') });
  await store.findings.upsertFromRun([finding], { source: 'sweep', scope: [coverage.subscription(SUB_PROD)], at: minute(0) });
  assert.equal((await store.findings.get(finding.id))?.status, 'open');
  assert.deepEqual(await store.events.claim('evt-identity', minute(0)), { claimed: true, attempt: 1 });
  assert.equal((await store.ping()).reachable, true);
});

test("the scan queue is reached the same way", async () => {
  const queue = await createQueueClient(connection, 'scan-requests', { credential: botCredential });
  await queue.createIfNotExists();
  await queue.sendMessage(Buffer.from(JSON.stringify({ subscriptions: [SUB_PROD] })).toString('base64'));
  const { receivedMessageItems } = await queue.receiveMessages();
  assert.deepEqual(JSON.parse(Buffer.from(receivedMessageItems[0]!.messageText, 'base64').toString('utf8')), { subscriptions: [SUB_PROD] });
});

test('a token storage does not accept is a StateStoreError with the status, the storage error code and the request id', async () => {
  const notAJwt = { getToken: async () => ({ token: 'opaque-token', expiresOnTimestamp: Date.now() + 3_600_000 }) };
  await assert.rejects(openStateStore({ connection, credential: notAJwt, tablePrefix: 'refused', retryOptions: { maxRetries: 0 } }), (error: unknown) => {
    assert.ok(error instanceof StateStoreError);
    assert.equal(error.statusCode, 403);
    assert.equal(error.code, 'AuthenticationFailed');
    assert.equal(error.operation, 'createTable');
    assert.match(error.requestId ?? '', /^[0-9a-f-]{36}$/);
    assert.ok(!error.message.includes('opaque-token'));
    return true;
  });
});
