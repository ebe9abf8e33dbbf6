import { app, type InvocationContext } from '@azure/functions';
import { sharedRuntime } from '../src/runtime/runtime.ts';
import { parseScanRequest, scanBatch } from '../src/runtime/sweep.ts';
import { MAX_DEQUEUE_COUNT } from '../src/runtime/scan-request.ts';

/**
 * The queue's half of a sweep. A message that can never succeed (malformed) goes to the poison queue at once with
 * its reason; a failing scan is thrown back for the host to retry, and on its last attempt poisoned with the error.
 */
export async function scanSubscriptions(message: unknown, context: InvocationContext): Promise<void> {
  const runtime = await sharedRuntime();
  const poison = async (reason: string) => {
    await runtime.scanPoisonQueue.sendMessage(Buffer.from(JSON.stringify({ reason, message, at: runtime.now().toISOString(), invocationId: context.invocationId })).toString('base64'));
    context.error(`scan request poisoned: ${reason}`);
  };
  const parsed = parseScanRequest(message);
  if (!parsed.ok) return poison(`malformed scan request: ${parsed.reason}`);
  const dequeueCount = Number(context.triggerMetadata?.['dequeueCount'] ?? 1);
  try {
    // A message delivered again finishes what its earlier attempt left undone (that process may have died mid-action).
    const result = await scanBatch(runtime, parsed.request, { attempt: dequeueCount });
    for (const action of result.outcomes.filter((outcome) => outcome.status === 'failed')) context.error(`action failed ${action.action} finding=${action.findingId}: ${action.reason}`);
    for (const alert of result.alerts.filter((outcome) => outcome.status === 'failed')) context.error(`alert failed ${alert.channel} finding=${alert.findingId}: ${alert.reason}`);
    for (const ticket of result.tickets.filter((outcome) => outcome.status === 'failed')) context.error(`ticket failed ${ticket.service} finding=${ticket.findingId}: ${ticket.reason ?? ''}`);
    context.log(
      `scan done run=${parsed.request.runId} subscriptions=${parsed.request.subscriptions.length} findings=${result.findings} opened=${result.summary.opened.length} resolved=${result.summary.resolved.length} gaps=${result.gaps} actions=${result.outcomes.length} alerts=${result.alerts.filter((a) => a.status === 'sent').length} tickets=${result.tickets.filter((t) => t.status !== 'unchanged' && t.status !== 'skipped' && t.status !== 'failed').length}${result.breakerTripped ? ' circuit-breaker=tripped' : ''}${result.reconciled.length > 0 ? ` reconciled=${result.reconciled.map((action) => action.outcome).join(',')}` : ''}`,
    );
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (dequeueCount >= MAX_DEQUEUE_COUNT) return poison(`scan failed ${dequeueCount} times: ${reason}`);
    throw error;
  }
}

app.storageQueue('scanSubscriptions', { queueName: 'scan-requests', connection: 'AzureWebJobsStorage', handler: scanSubscriptions });
