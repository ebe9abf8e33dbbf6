/**
 * The bot's side of the event-path benchmark, in a process of its own (its managed-identity credential and its
 * runtime are per process, and the emulator's CPU stays out of its latencies): started by bench/events.ts with the
 * emulator's and Azurite's environment, it receives the deliveries over IPC and sends the timings back.
 *
 * The runtime is built and one event handled before the clock starts (a running instance, not a cold start); then
 * each delivery goes through exactly what the activityEvents function runs (handleEventDelivery), sixteen
 * invocations at a time as a Functions host runs them; an event the handler asks to get again is delivered again
 * shortly after, as Event Grid would (sooner than its 10 s, to keep the run short). Each event's latency is also
 * given without the emulator's injected latency on its critical path (bench/injected-latency.ts), summed over its
 * deliveries: the target is on what the bot adds beyond the network.
 */
import { mapConcurrently } from '../src/inventory/concurrency.ts';
import { handleEventDelivery } from '../src/runtime/event-delivery.ts';
import { createRuntime } from '../src/runtime/runtime.ts';
import { InjectedLatency } from './injected-latency.ts';
import { EventBurstRequest, type EventBurstReply } from './measurement.ts';

const INVOCATIONS_AT_ONCE = 16;
const REDELIVERY_DELAY_MS = 200;
const MAX_DELIVERIES = 6;

async function deliverAll(deliveries: { id: string }[], warmUp: { id: string }, latencyMs: number): Promise<EventBurstReply> {
  const runtime = await createRuntime(process.env);
  const warmedUp = await handleEventDelivery(runtime, warmUp);
  if (warmedUp.redeliver || warmedUp.actions.length > 0) throw new Error(`the warm-up event was not simply judged: ${JSON.stringify(warmedUp.outcomes.map((outcome) => outcome.reason))}`);
  const injected = new InjectedLatency(new URL(runtime.clients.config.armEndpoint).origin, latencyMs);
  const injectedMs = new Map<string, number>();
  const firstSeen = new Map<string, number>();
  const decidedAt = new Map<string, number>();
  const actionsDone = new Map<string, number>();
  let redeliveries = 0;
  const started = performance.now();
  await mapConcurrently(deliveries, INVOCATIONS_AT_ONCE, async (event) => {
    for (let delivery = 1; delivery <= MAX_DELIVERIES; delivery += 1) {
      const at = performance.now();
      if (!firstSeen.has(event.id)) firstSeen.set(event.id, at);
      const { result, injectedMs: waited } = await injected.measure(() => handleEventDelivery(runtime, event));
      injectedMs.set(event.id, (injectedMs.get(event.id) ?? 0) + waited);
      for (const action of result.actions) if (action.status === 'done') actionsDone.set(action.findingId, (actionsDone.get(action.findingId) ?? 0) + 1);
      if (!result.redeliver) {
        if (!decidedAt.has(event.id)) decidedAt.set(event.id, performance.now());
        return;
      }
      redeliveries += 1;
      await new Promise((resolve) => setTimeout(resolve, REDELIVERY_DELAY_MS));
    }
  });
  const wallSeconds = (performance.now() - started) / 1000;
  const latencies = [...decidedAt].map(([id, at]) => at - firstSeen.get(id)!);
  const beyond = [...decidedAt].map(([id, at]) => at - firstSeen.get(id)! - injectedMs.get(id)!);
  const injectedOnly = [...decidedAt.keys()].map((id) => injectedMs.get(id)!);
  return {
    ok: true,
    timings: {
      wallSeconds,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      p50BeyondLatencyMs: percentile(beyond, 50),
      p99BeyondLatencyMs: percentile(beyond, 99),
      p50InjectedMs: percentile(injectedOnly, 50),
      p99InjectedMs: percentile(injectedOnly, 99),
      decided: decidedAt.size,
      redeliveries,
      repeatedActions: [...actionsDone.values()].reduce((sum, n) => sum + Math.max(0, n - 1), 0),
    },
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function reply(message: EventBurstReply): void {
  if (!process.send) throw new Error('bench/event-burst-process.ts runs as a child of bench/events.ts (it reports over IPC)');
  process.send(message, () => process.exit(message.ok ? 0 : 1));
}

process.once('message', (message) => {
  const request = EventBurstRequest.safeParse(message);
  if (!request.success) return reply({ ok: false, error: 'unreadable burst request' });
  deliverAll(request.data.deliveries, request.data.warmUp, request.data.latencyMs).then(reply, (error: unknown) =>
    reply({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
