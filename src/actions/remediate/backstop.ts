import { scrubSecrets } from '../../azure/errors.ts';
import { invocationCertainlyOverMs } from '../../hosting/function-time-limit.ts';
import type { RunState } from '../../state/run-state.ts';
import { openActions, reconcileAction, type ReconcileContext, type ReconciledAction } from './reconcile.ts';
import { describe } from './trail.ts';

/** Reconciliations per backstop run: each is one live read and one write, far inside one invocation's time limit. */
export const BACKSTOP_CAP_PER_RUN = 25;

export interface BackstopContext extends ReconcileContext {
  runs: Pick<RunState, 'backstopWatermark' | 'advanceBackstopWatermark'>;
}

export interface BackstopResult {
  /** Abandoned actions given their outcome; `recordedHere` false: a concurrent reconciler wrote it first. */
  reconciled: ReconciledAction[];
  /** Abandoned actions whose live read (or record) failed: tried again by the next run. */
  failed: { actingId: string; error: string }[];
  /** Abandoned actions beyond the cap, left for the next run. */
  deferred: number;
  /** The cap this run had. */
  cap: number;
  /** The audit records read (those since the previous watermark). */
  read: number;
  /** Where the next run takes up the audit log. */
  watermark: Date;
}

/**
 * The backstop for work that is never delivered again (a poisoned scan message, an event whose retries ran out): the
 * redelivery that would reconcile its 'acting' records (reconcile.ts) never comes, so they would stay without an
 * outcome. Every 'acting' record without an outcome that is older than the Functions time limit and its margin was
 * written by an invocation that is over, and is reconciled here with the same live reads.
 *
 * Safe against a live attempt: younger records are left alone (a slow invocation may still write the outcome).
 * Idempotent: a record is reconciled once whoever else is at it (AuditLog.appendReconciliation). Bounded: at most
 * `cap` per run, oldest first; the rest are counted in `deferred` and stay before the watermark for the next run.
 *
 * Cost: the audit log is read from the watermark on, a key-range query over the days since (the day is the partition
 * key); the watermark stops at the oldest record left open, so a run reads what was written since the previous one
 * and the time limit before it. The first run, with no watermark yet, reads the whole log once.
 */
export async function closeAbandonedActions(ctx: BackstopContext, options: { foundBy: string; cap?: number }): Promise<BackstopResult> {
  const cap = options.cap ?? BACKSTOP_CAP_PER_RUN;
  const cutoff = new Date(ctx.now().getTime() - invocationCertainlyOverMs());
  const from = await ctx.runs.backstopWatermark();
  const records = await ctx.audit.list(from ? { since: from } : {});
  const abandoned = openActions(records).filter((acting) => acting.at < cutoff);
  const reconciled: ReconciledAction[] = [];
  const failed: BackstopResult['failed'] = [];
  const leftOpen = abandoned.slice(cap);
  for (const acting of abandoned.slice(0, cap)) {
    try {
      reconciled.push(await reconcileAction(acting, ctx, options.foundBy));
    } catch (error) {
      failed.push({ actingId: acting.id, error: scrubSecrets(describe(error)) });
      leftOpen.push(acting);
    }
  }
  const oldestLeft = Math.min(...leftOpen.map((acting) => acting.at.getTime()));
  const watermark = leftOpen.length > 0 ? new Date(oldestLeft) : cutoff;
  await ctx.runs.advanceBackstopWatermark(watermark);
  return { reconciled, failed, deferred: Math.max(0, abandoned.length - cap), cap, read: records.length, watermark };
}
