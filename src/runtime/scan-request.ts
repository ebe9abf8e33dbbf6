import { createHash } from 'node:crypto';
import { z } from 'zod';

/** One message on the scan-requests queue: a batch of subscriptions for one scanSubscriptions invocation. */
export const ScanRequestSchema = z.strictObject({
  version: z.literal(1),
  runId: z.string().min(1).max(100),
  subscriptions: z.array(z.guid()).min(1).max(100),
  requestedAt: z.iso.datetime({ offset: true }),
});
export type ScanRequest = z.infer<typeof ScanRequestSchema>;

/**
 * What names one scan request across its deliveries, as the audit's correlation id of what it does: the batches of
 * one sweep share the run id, and are told apart by their subscriptions.
 */
export const scanBatchId = (request: ScanRequest) =>
  `${request.runId}/${createHash('sha256').update(request.subscriptions.map((id) => id.toLowerCase()).sort().join(',')).digest('hex').slice(0, 16)}`;

/** The Functions queue trigger decodes base64 by default, so messages are written that way. */
export const encodeScanRequest = (request: ScanRequest) => Buffer.from(JSON.stringify(request), 'utf8').toString('base64');

/** host.json `extensions.queues.maxDequeueCount` (a test keeps them equal): on the last attempt a failing message is poisoned with its reason. */
export const MAX_DEQUEUE_COUNT = 5;
