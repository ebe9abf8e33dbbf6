import { app, type InvocationContext, type Timer } from '@azure/functions';
import { sharedRuntime } from '../src/runtime/runtime.ts';
import { closeAbandonedWork, enqueueSweep } from '../src/runtime/sweep.ts';

/**
 * The timer's half of a sweep: one scan-request message per batch of subscriptions (schedule: IDWARDEN_SWEEP_SCHEDULE),
 * then the backstop that gives remediations whose work was never delivered again their outcome.
 */
export async function sweep(timer: Timer, context: InvocationContext): Promise<void> {
  const runtime = await sharedRuntime();
  const { runId, requests } = await enqueueSweep(runtime);
  context.log(`sweep enqueued run=${runId} batches=${requests.length} subscriptions=${requests.reduce((n, r) => n + r.subscriptions.length, 0)}${timer.isPastDue ? ' (past due)' : ''}`);
  const backstop = await closeAbandonedWork(runtime, runId);
  for (const action of backstop.reconciled) {
    context.log(`backstop ${action.recordedHere ? 'reconciled' : 'found reconciled'} acting=${action.actingId} finding=${action.findingId ?? '-'} outcome=${action.outcome} audit=${action.auditId}`);
  }
  for (const failure of backstop.failed) context.error(`backstop could not reconcile acting=${failure.actingId}, left for the next sweep: ${failure.error}`);
  if (backstop.deferred > 0) context.warn(`backstop reached its cap of ${backstop.cap} per sweep: ${backstop.deferred} abandoned actions left for the next sweep`);
  context.log(`backstop done run=${runId} read=${backstop.read} reconciled=${backstop.reconciled.filter((action) => action.recordedHere).length} failed=${backstop.failed.length} deferred=${backstop.deferred} watermark=${backstop.watermark.toISOString()}`);
}

app.timer('sweep', { schedule: '%IDWARDEN_SWEEP_SCHEDULE%', runOnStartup: false, handler: sweep });
