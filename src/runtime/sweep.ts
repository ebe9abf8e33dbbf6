import { randomUUID } from 'node:crypto';
import { coverage } from '../state/coverage.ts';
import { runSweep } from '../pipeline/sweep.ts';
import { queryResourceGraph } from '../inventory/resource-graph.ts';
import { SUBSCRIPTIONS_QUERY } from '../inventory/queries.ts';
import { subscriptionRow } from '../inventory/records.ts';
import { collect } from '../azure/graph-paging.ts';
import { scrubSecrets } from '../azure/errors.ts';
import { encodeScanRequest, scanBatchId, ScanRequestSchema, type ScanRequest } from './scan-request.ts';
import { recordAndAct, type RecordedRun } from './record-and-act.ts';
import { closeAbandonedActions, type BackstopResult } from '../actions/remediate/backstop.ts';
import type { Runtime } from './runtime.ts';

/**
 * The timer's half of a sweep: every subscription the bot can read, in batches, one scan-request message each.
 * Returns the run id and the messages sent.
 */
export async function enqueueSweep(runtime: Runtime): Promise<{ runId: string; requests: ScanRequest[] }> {
  const rows = await collect(queryResourceGraph(runtime.clients, SUBSCRIPTIONS_QUERY, { tenant: true }, subscriptionRow, 'resources.subscriptions'));
  const subscriptions = [...new Set(rows.map((row) => row.subscriptionId.toLowerCase()))].sort();
  const runId = `sweep-${runtime.now().toISOString()}-${randomUUID().slice(0, 8)}`;
  const requests: ScanRequest[] = [];
  for (let start = 0; start < subscriptions.length; start += runtime.settings.sweepBatchSize) {
    requests.push({ version: 1, runId, subscriptions: subscriptions.slice(start, start + runtime.settings.sweepBatchSize), requestedAt: runtime.now().toISOString() });
  }
  for (const request of requests) await runtime.scanQueue.sendMessage(encodeScanRequest(request));
  return { runId, requests };
}

/**
 * The timer's other half: the backstop for remediations whose work is never delivered again (backstop.ts). Once per
 * sweep, in the timer rather than in each scan: the timer fires once per schedule across all instances (the host holds
 * a lease for it), so the audit log is read once per sweep and not by every batch in parallel; it also covers what
 * events left behind, which no scan batch owns; and a slow or failing backstop cannot make a scan message fail, be
 * retried and end up poisoned. Run after the scan requests are sent, so the sweep never waits on it.
 */
export async function closeAbandonedWork(runtime: Runtime, runId: string): Promise<BackstopResult> {
  const bot = await runtime.bot();
  return closeAbandonedActions(
    { clients: runtime.clients, audit: runtime.state.audit, botPrincipalId: bot.principalId, now: runtime.now, runs: runtime.state.runs },
    { foundBy: `the backstop of sweep ${runId}, past the Functions time limit with no attempt left to finish it` },
  );
}

export type ScanRequestParse = { ok: true; request: ScanRequest } | { ok: false; reason: string };

/** A queue message as the trigger hands it over (already decoded: a parsed object or a string). */
export function parseScanRequest(message: unknown): ScanRequestParse {
  let value = message;
  if (typeof message === 'string') {
    try {
      value = JSON.parse(message);
    } catch {
      return { ok: false, reason: 'the message is not JSON' };
    }
  }
  const parsed = ScanRequestSchema.safeParse(value);
  return parsed.success ? { ok: true, request: parsed.data } : { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; ') };
}

/**
 * The queue's half: one batch of subscriptions swept, recorded, acted on, and the sweep noted for the health check.
 * `attempt` is the message's dequeue count: a redelivered message completes what its earlier attempt left undone.
 */
export async function scanBatch(runtime: Runtime, request: ScanRequest, options: { attempt?: number } = {}): Promise<RecordedRun & { findings: number; gaps: number }> {
  const startedAt = runtime.now();
  const result = await runSweep(runtime.clients, runtime.policy, { subscriptions: request.subscriptions, asOf: startedAt }).catch(async (error: unknown) => {
    await recordFailedSweep(runtime, request, startedAt, error);
    throw error;
  });
  const recorded = await recordAndAct(
    runtime,
    result.findings,
    { source: 'sweep', scope: request.subscriptions.map(coverage.subscription), at: startedAt },
    { runId: request.runId, correlationId: scanBatchId(request), kind: 'sweep', ...(options.attempt ? { attempt: options.attempt } : {}) },
  );
  const gaps = result.report.gaps.length;
  for (const subscriptionId of request.subscriptions) {
    await runtime.state.runs.recordSweep({
      scope: subscriptionId,
      runId: request.runId,
      startedAt,
      finishedAt: runtime.now(),
      outcome: gaps > 0 || result.ruleErrors.length > 0 ? 'partial' : 'succeeded',
      summary: { findings: result.findings.length, opened: recorded.summary.opened.length, resolved: recorded.summary.resolved.length, gaps, ruleErrors: result.ruleErrors.length },
    });
  }
  return { ...recorded, findings: result.findings.length, gaps };
}

/**
 * A sweep that could not run at all (no token, say) is on record as failed for the health check, with its reason
 * (scrubbed of secrets), before the error goes back to the host for a retry. When storage is what failed, this
 * record fails too: the original error is what the host gets.
 */
async function recordFailedSweep(runtime: Runtime, request: ScanRequest, startedAt: Date, error: unknown): Promise<void> {
  const reason = scrubSecrets(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  try {
    for (const subscriptionId of request.subscriptions) {
      await runtime.state.runs.recordSweep({ scope: subscriptionId, runId: request.runId, startedAt, finishedAt: runtime.now(), outcome: 'failed', summary: { error: reason.slice(0, 1000) } });
    }
  } catch {
    // Storage is down too: the host's retry covers both.
  }
}
