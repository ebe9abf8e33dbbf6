import { z } from 'zod';

/** What bench/sweep-process.ts measures and sends back to bench/run.ts. */
export const SweepMode = z.enum(['idwarden', 'baseline']);
export type SweepMode = z.infer<typeof SweepMode>;

export const SweepMeasurement = z.object({
  wallSeconds: z.number(),
  /** Peak resident set size of this process (getrusage), Node and its modules included. */
  peakRssMb: z.number(),
  findings: z.number().nullable(),
  findingsByRule: z.record(z.string(), z.number()),
  /** Findings whose evidence says remediation is blocked (`remediationBlocked`), by rule. */
  remediationBlockedByRule: z.record(z.string(), z.number()),
  /** What the sweep read, to see that both sweeps covered the same tenant. */
  read: z.record(z.string(), z.number()),
  gaps: z.array(z.string()),
});
export type SweepMeasurement = z.infer<typeof SweepMeasurement>;

export const SweepReply = z.union([z.object({ ok: z.literal(true), measurement: SweepMeasurement }), z.object({ ok: z.literal(false), error: z.string() })]);
export type SweepReply = z.infer<typeof SweepReply>;

/** The deliveries bench/events.ts hands to bench/event-burst-process.ts (Event Grid events, checked there by the bot). */
const EventGridDelivery = z.object({ id: z.string() }).passthrough();
export const EventBurstRequest = z.object({ deliveries: z.array(EventGridDelivery), warmUp: EventGridDelivery, latencyMs: z.number().nonnegative() });

/** What bench/event-burst-process.ts measures on the bot's side and sends back. */
export const EventBurstTimings = z.object({
  wallSeconds: z.number(),
  /** From an event's first delivery to its decision. */
  p50Ms: z.number(),
  p99Ms: z.number(),
  /** The same, less the emulator's injected latency on each event's critical path (bench/injected-latency.ts). */
  p50BeyondLatencyMs: z.number(),
  p99BeyondLatencyMs: z.number(),
  /** The injected latency on an event's critical path. */
  p50InjectedMs: z.number(),
  p99InjectedMs: z.number(),
  /** Events decided (the others still asked to be delivered again after the last attempt). */
  decided: z.number(),
  redeliveries: z.number(),
  /** The same finding acted on more than once, as the bot reported its actions. */
  repeatedActions: z.number(),
});
export type EventBurstTimings = z.infer<typeof EventBurstTimings>;

export const EventBurstReply = z.union([z.object({ ok: z.literal(true), timings: EventBurstTimings }), z.object({ ok: z.literal(false), error: z.string() })]);
export type EventBurstReply = z.infer<typeof EventBurstReply>;
