import { cpus, totalmem } from 'node:os';
import type { TenantSize } from '../emulator/seed/generate.ts';

/**
 * bench/results/latest.json, in the shape issue 7 fixes so that runs can be compared: one entry per tenant size,
 * the event burst, the cold import, the machine and the time. What a run did not measure stays null, with the reason.
 */
export interface SizeResult {
  roleAssignments: number;
  identities: number;
  subscriptions: number;
  /** Requests to ARM, Resource Graph and Graph during the sweep, 429s and retries included (token requests not). */
  apiCalls: number | null;
  apiCallsByEndpoint: Record<string, number> | null;
  /** The fewest calls that read what the sweep must read (bench/lower-bound.ts). */
  lowerBound: number | null;
  baselineCalls: number | null;
  baselineWallSeconds: number | null;
  /** 429 answers the sweep received. */
  throttled: number | null;
  wallSeconds: number | null;
  peakRssMb: number | null;
  findings: number | null;
  notMeasured?: string;
}

export interface EventsResult {
  count: number | null;
  perSecond: number | null;
  /** From an event's first delivery to its decision, injected latency included. */
  p50Ms: number | null;
  p99Ms: number | null;
  /** The same less the injected latency on each event's critical path: what the target is on. */
  p50BeyondLatencyMs: number | null;
  p99BeyondLatencyMs: number | null;
  duplicateActions: number | null;
  notMeasured?: string;
}

export interface ColdImportResult {
  ms: number | null;
  peakRssMb: number | null;
  notMeasured?: string;
}

export interface BenchResults {
  sizes: Record<TenantSize, SizeResult>;
  events: EventsResult;
  coldImport: ColdImportResult;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string; platform: string; arch: string };
  at: string;
}

export const machine = (): BenchResults['machine'] => ({
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
  node: process.version,
  platform: process.platform,
  arch: process.arch,
});

export const notMeasuredSize = (size: { roleAssignments: number; identities: number; subscriptions: number }, reason: string): SizeResult => ({
  ...size,
  apiCalls: null,
  apiCallsByEndpoint: null,
  lowerBound: null,
  baselineCalls: null,
  baselineWallSeconds: null,
  throttled: null,
  wallSeconds: null,
  peakRssMb: null,
  findings: null,
  notMeasured: reason,
});

export const notMeasuredEvents = (reason: string): EventsResult => ({
  count: null,
  perSecond: null,
  p50Ms: null,
  p99Ms: null,
  p50BeyondLatencyMs: null,
  p99BeyondLatencyMs: null,
  duplicateActions: null,
  notMeasured: reason,
});
export const notMeasuredColdImport = (reason: string): ColdImportResult => ({ ms: null, peakRssMb: null, notMeasured: reason });
