/**
 * The bot in a process of its own, as a Functions worker runs it, so a fault scenario can kill it (SIGKILL, no
 * clean-up) at an exact moment and start a fresh one: started by test/support/bot-worker.ts with the emulator's
 * and Azurite's environment, it takes work over IPC and does what the host would with it.
 *
 * - `drain-scan-queue`: the queue trigger's listener. Each scan-request message is received with a short visibility
 *   timeout that is renewed while the function runs (as the host does), passed to the registered scanSubscriptions
 *   function with its dequeue count, and deleted when the function resolves. When the process dies the renewals
 *   stop, and the message is visible again within VISIBILITY_SECONDS for the next worker. Returns once the queue
 *   is empty, invisible messages included.
 * - `deliver-events`: one Event Grid delivery through the registered eventGridWebhook function; answers its status.
 *
 * Every alert outcome is sent to the parent the moment the dispatcher returns it (the invariants count them), so a
 * kill right after an alert still leaves it counted. argv[2]: how far this worker's clock runs ahead of real time,
 * in ms (a worker started "later", after a lease has lapsed).
 */
import { setTimeout as delay } from 'node:timers/promises';
import azureFunctions from '@azure/functions';
import type { DequeuedMessageItem } from '@azure/storage-queue';
import { createRuntime, installSharedRuntime } from '../../src/runtime/runtime.ts';
import { invocationContext, loadFunctionsApp } from './functions-host.ts';
import { WorkerRequest, type WorkerMessage } from './bot-worker.ts';

const VISIBILITY_SECONDS = 2;
const RENEW_EVERY_MS = 700;
const POLL_MS = 150;
const DRAIN_LIMIT_MS = 30_000;

const clockOffsetMs = Number(process.argv[2] ?? 0);
const runtime = await createRuntime(process.env, { now: () => new Date(Date.now() + clockOffsetMs) });
installSharedRuntime(runtime);
const functions = await loadFunctionsApp();

const send = (message: WorkerMessage) => process.send!(message);

const dispatch = runtime.alerts.dispatch.bind(runtime.alerts);
runtime.alerts.dispatch = async (items, notify, run) => {
  const outcomes = await dispatch(items, notify, run);
  send({ kind: 'alerts', runId: `${run.kind}:${run.id ?? '-'}`, outcomes });
  return outcomes;
};

/** One message through the scan function, kept invisible while it runs; deleted when it succeeds. */
async function runHeld(item: DequeuedMessageItem): Promise<string[]> {
  const queue = runtime.scanQueue;
  let popReceipt = item.popReceipt;
  let renewal: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    renewal = renewal.then(async () => {
      popReceipt = (await queue.updateMessage(item.messageId, popReceipt, undefined, VISIBILITY_SECONDS)).popReceipt!;
    });
  }, RENEW_EVERY_MS);
  const { context, logs } = invocationContext('scanSubscriptions', { triggerMetadata: { id: item.messageId, dequeueCount: item.dequeueCount } });
  try {
    await functions.get('scanSubscriptions')!.handler(JSON.parse(Buffer.from(item.messageText, 'base64').toString('utf8')), context);
    clearInterval(timer);
    await renewal;
    await queue.deleteMessage(item.messageId, popReceipt);
  } catch (error) {
    clearInterval(timer);
    await renewal;
    // The host's retry delay after a failed invocation (host.json says 30 s; a second here).
    await queue.updateMessage(item.messageId, popReceipt, undefined, 1);
    logs.push({ level: 'error', message: `invocation failed: ${error instanceof Error ? error.message : String(error)}` });
  }
  return logs.map((log) => log.message);
}

async function drainScanQueue(): Promise<string[]> {
  const lines: string[] = [];
  const deadline = Date.now() + DRAIN_LIMIT_MS;
  for (;;) {
    const [item] = (await runtime.scanQueue.receiveMessages({ numberOfMessages: 1, visibilityTimeout: VISIBILITY_SECONDS })).receivedMessageItems;
    if (item) {
      lines.push(...(await runHeld(item)));
      continue;
    }
    if (!(await runtime.scanQueue.getProperties()).approximateMessagesCount) return lines;
    if (Date.now() > deadline) throw new Error(`the scan queue still held messages after ${DRAIN_LIMIT_MS} ms`);
    await delay(POLL_MS);
  }
}

async function deliverEvents(body: unknown, headers: Record<string, string>): Promise<{ status: number; lines: string[] }> {
  const request = new azureFunctions.HttpRequest({ method: 'POST', url: 'https://idwarden.example/api/events', headers, body: { string: JSON.stringify(body) } });
  const { context, logs } = invocationContext('eventGridWebhook');
  const response = (await functions.get('eventGridWebhook')!.handler(request, context)) as { status: number };
  return { status: response.status, lines: logs.map((log) => log.message) };
}

process.on('message', (raw) => {
  const request = WorkerRequest.parse(raw);
  const work = request.kind === 'drain-scan-queue' ? drainScanQueue().then((lines) => ({ lines })) : deliverEvents(request.body, request.headers);
  work.then(
    (result) => send({ kind: 'done', id: request.id, ...result }),
    (error: unknown) => send({ kind: 'failed', id: request.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
send({ kind: 'ready' });
