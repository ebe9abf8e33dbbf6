import { app, type InvocationContext, type Timer } from '@azure/functions';
import { sharedRuntime } from '../src/runtime/runtime.ts';
import { enqueueSweep } from '../src/runtime/sweep.ts';

/** The timer's half of a sweep: one scan-request message per batch of subscriptions (schedule: IDWARDEN_SWEEP_SCHEDULE). */
export async function sweep(timer: Timer, context: InvocationContext): Promise<void> {
  const { runId, requests } = await enqueueSweep(await sharedRuntime());
  context.log(`sweep enqueued run=${runId} batches=${requests.length} subscriptions=${requests.reduce((n, r) => n + r.subscriptions.length, 0)}${timer.isPastDue ? ' (past due)' : ''}`);
}

app.timer('sweep', { schedule: '%IDWARDEN_SWEEP_SCHEDULE%', runOnStartup: false, handler: sweep });
