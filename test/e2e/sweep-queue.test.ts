import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QueueClient } from '@azure/storage-queue';
import { useEmulator } from '../support/emulator.ts';
import { useAzurite } from '../support/azurite.ts';
import { loadFunctionsApp, invocationContext } from '../support/functions-host.ts';
import { DEMO_SEED } from '../../emulator/index.ts';
import { sharedRuntime } from '../../src/runtime/runtime.ts';
import { MAX_DEQUEUE_COUNT } from '../../src/runtime/scan-request.ts';
import { readFileSync } from 'node:fs';

const emulator = await useEmulator({ seed: DEMO_SEED });
const azurite = await useAzurite();
Object.assign(process.env, emulator.env, {
  IDWARDEN_STORAGE_CONNECTION_STRING: azurite.connectionString,
  IDWARDEN_SWEEP_BATCH_SIZE: '2',
  IDWARDEN_TABLE_PREFIX: `sweep${process.pid}`,
});
const functions = await loadFunctionsApp();
const queue = new QueueClient(azurite.connectionString, 'scan-requests');
const poison = new QueueClient(azurite.connectionString, 'scan-requests-poison');

/** What the Functions host does with a queue message: base64-decode, parse JSON, hand it over with its dequeue count. */
async function runQueueTrigger(text: string, dequeueCount = 1) {
  const decoded = Buffer.from(text, 'base64').toString('utf8');
  let message: unknown = decoded;
  try {
    message = JSON.parse(decoded);
  } catch {
    // the host hands non-JSON messages over as strings
  }
  const { context, logs } = invocationContext('scanSubscriptions', { triggerMetadata: { dequeueCount } });
  await functions.get('scanSubscriptions')!.handler(message, context);
  return logs;
}

async function drain(client: QueueClient): Promise<string[]> {
  const texts: string[] = [];
  for (;;) {
    const { receivedMessageItems } = await client.receiveMessages({ numberOfMessages: 32 });
    if (receivedMessageItems.length === 0) return texts;
    for (const item of receivedMessageItems) {
      texts.push(item.messageText);
      await client.deleteMessage(item.messageId, item.popReceipt);
    }
  }
}

test('the timer fans the sweep out per batch of subscriptions; each queue message is swept, recorded and noted for health', async () => {
  const { context, logs } = invocationContext('sweep');
  await functions.get('sweep')!.handler({ isPastDue: false, scheduleStatus: undefined }, context);
  assert.match(logs[0]!.message, /^sweep enqueued run=sweep-.* batches=2 subscriptions=3$/);
  const messages = await drain(queue);
  assert.equal(messages.length, 2);
  for (const text of messages) {
    const lines = await runQueueTrigger(text);
    assert.match(lines.at(-1)!.message, /^scan done run=sweep-/);
  }
  const runtime = await sharedRuntime();
  const open = await runtime.state.findings.listOpen();
  assert.ok(open.some((f) => f.ruleId === 'orphaned-role-assignment'), 'findings recorded');
  assert.equal((await runtime.state.runs.listLastSweeps()).length, 3, 'every subscription has its last sweep');
  const dryRuns = await runtime.state.audit.list();
  assert.ok(dryRuns.some((record) => record.outcome === 'would-delete'), 'the default policy is dry-run: it says what it would do');
  assert.ok(!dryRuns.some((record) => record.outcome === 'deleted'), 'and does nothing');
});

test('host.json retries a queue message as many times as the function expects', () => {
  const host = JSON.parse(readFileSync(new URL('../../host.json', import.meta.url), 'utf8'));
  assert.equal(host.extensions.queues.maxDequeueCount, MAX_DEQUEUE_COUNT);
});

test('a malformed message goes straight to the poison queue with its reason', async () => {
  await runQueueTrigger(Buffer.from('{"version":1,"runId":"x","subscriptions":["not-a-guid"]}').toString('base64'));
  const [poisoned] = await drain(poison);
  const record = JSON.parse(Buffer.from(poisoned!, 'base64').toString('utf8'));
  assert.match(record.reason, /^malformed scan request: subscriptions\.0: /);
});

test('with storage down every attempt fails loudly, so the host retries (and finally poisons); once it is back the same message succeeds', async () => {
  const message = Buffer.from(JSON.stringify({ version: 1, runId: 'r1', subscriptions: ['5b000001-0000-4000-8000-000000000001'], requestedAt: new Date().toISOString() })).toString('base64');
  await azurite.stop();
  try {
    for (let attempt = 1; attempt <= MAX_DEQUEUE_COUNT; attempt += 1) await assert.rejects(runQueueTrigger(message, attempt));
  } finally {
    await azurite.restart();
  }
  // In-memory Azurite comes back empty: the store recreates what it needs on the next run.
  const runtime = await sharedRuntime();
  await runtime.scanPoisonQueue.createIfNotExists();
  const lines = await runQueueTrigger(message, 1).catch((error: unknown) => [{ level: 'error', message: String(error) }]);
  assert.match(lines.at(-1)!.message, /^scan done run=r1 /);
});
