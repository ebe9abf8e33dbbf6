import { fork } from 'node:child_process';
import { startEmulator, type RunningEmulator } from '../emulator/index.ts';
import { SEED_AS_OF } from '../emulator/seed/as-of.ts';
import { generateTenant, optionsForSize, TENANT_SIZES, type GenerationManifest, type TenantSize } from '../emulator/seed/generate.ts';
import { DEFAULT_LIMITS } from '../emulator/throttling/limits.ts';
import type { LoggedRequest } from '../emulator/server/request-log.ts';
import { lowerBound, type BoundPart } from './lower-bound.ts';
import { SweepReply, type SweepMeasurement, type SweepMode } from './measurement.ts';
import { notMeasuredSize, type SizeResult } from './results.ts';

/** Per-request latency while benchmarking: a client a region away from ARM and Graph. */
export const LATENCY_MS = 30;

/** No sweep may run longer than this; past it the child is killed and the size reported as not measured. */
const TIME_LIMIT_SECONDS: Record<TenantSize, number> = { S: 120, M: 300, L: 900 };

/** One sweep's figures, as the emulator saw them and as the sweep's process measured them. */
export interface SweepRun {
  measurement: SweepMeasurement;
  /** Requests by endpoint family (`resourceGraph.resources`, `arm.roleAssignments`, ... with the operation dropped). */
  callsByEndpoint: Record<string, number>;
  calls: number;
  throttled: number;
  /** CPU the emulator spent answering (its process does nothing else meanwhile): what the wall time owes to the emulator. */
  emulatorCpuSeconds: number;
  /** When each endpoint family was called, in seconds from the sweep's first call: where the wall time went. */
  timeline: Record<string, { from: number; to: number }>;
}

/** Everything measured for one size, for the results file and the printed details. */
export interface SizeReport {
  size: TenantSize;
  result: SizeResult;
  manifest: GenerationManifest;
  bound: { total: number; parts: BoundPart[] };
  idwarden?: SweepRun;
  baseline?: SweepRun;
  failures: string[];
}

/** Generates the tenant, serves it with latency and the platform limits on, and runs the idwarden sweep, then the baseline. */
export async function benchmarkSize(size: TenantSize, options: { baseline: boolean }): Promise<SizeReport> {
  const { seed, manifest } = generateTenant(optionsForSize(size));
  const emulator = await startEmulator({ seed, latencyMs: LATENCY_MS, throttling: true });
  try {
    const bound = lowerBound(emulator.core.tenant, seed.bot!.principalId, emulator.core.armPageSizes);
    const failures: string[] = [];
    const attempt = async (mode: SweepMode) => {
      try {
        return await runSweepProcess(emulator, mode, TIME_LIMIT_SECONDS[size]);
      } catch (error) {
        failures.push(`${mode}: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`);
        return undefined;
      }
    };
    const idwarden = await attempt('idwarden');
    const baseline = options.baseline ? await attempt('baseline') : undefined;
    if (!options.baseline) failures.push('baseline: left out (--no-baseline)');
    const counts = TENANT_SIZES[size];
    const result: SizeResult = idwarden
      ? {
          ...counts,
          apiCalls: idwarden.calls,
          apiCallsByEndpoint: idwarden.callsByEndpoint,
          lowerBound: bound.total,
          baselineCalls: baseline?.calls ?? null,
          baselineWallSeconds: baseline ? round(baseline.measurement.wallSeconds, 2) : null,
          throttled: idwarden.throttled,
          wallSeconds: round(idwarden.measurement.wallSeconds, 2),
          peakRssMb: round(idwarden.measurement.peakRssMb, 1),
          findings: idwarden.measurement.findings,
          ...(baseline ? {} : { notMeasured: `baseline: ${failures.join('; ')}` }),
        }
      : notMeasuredSize(counts, failures.join('; '));
    return { size, result, manifest, bound, ...(idwarden ? { idwarden } : {}), ...(baseline ? { baseline } : {}), failures };
  } finally {
    await emulator.stop();
  }
}

/** Runs one sweep in a child process against the emulator, with every limit full and the request counts at zero. */
async function runSweepProcess(emulator: RunningEmulator, mode: SweepMode, timeLimitSeconds: number): Promise<SweepRun> {
  const { core } = emulator;
  core.requests.reset();
  core.throttling.enable(DEFAULT_LIMITS);
  const cpuBefore = process.cpuUsage();
  const measurement = await new Promise<SweepMeasurement>((resolve, reject) => {
    const child = fork(new URL('./sweep-process.ts', import.meta.url), [mode, SEED_AS_OF], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...emulator.env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the ${mode} sweep did not finish within ${timeLimitSeconds} s`));
    }, timeLimitSeconds * 1000);
    child.once('message', (message) => {
      const reply = SweepReply.safeParse(message);
      if (!reply.success) reject(new Error(`the ${mode} sweep sent an unreadable result`));
      else if (!reply.data.ok) reject(new Error(reply.data.error));
      else resolve(reply.data.measurement);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the ${mode} sweep exited (${signal ?? code}) without a result`));
    });
    child.once('error', reject);
  });
  const cpu = process.cpuUsage(cpuBefore);
  const callsByEndpoint = endpointCounts(core.requests.countsByRoute());
  const { throttled } = core.throttling.stats();
  return {
    measurement,
    callsByEndpoint,
    calls: Object.values(callsByEndpoint).reduce((sum, n) => sum + n, 0),
    throttled: throttled.arm + throttled.resourceGraph + throttled.graph,
    emulatorCpuSeconds: round((cpu.user + cpu.system) / 1e6, 1),
    timeline: timeline(core.requests.recent()),
  };
}

/** First and last call of each endpoint family (from the request log, which keeps the last 20,000 requests). */
function timeline(log: readonly LoggedRequest[]): SweepRun['timeline'] {
  const calls = log.filter((entry) => /^(arm|graph|resourceGraph)\./.test(entry.route));
  const start = calls[0]?.at.getTime() ?? 0;
  const spans: SweepRun['timeline'] = {};
  for (const entry of calls) {
    const offset = round((entry.at.getTime() - start) / 1000, 1);
    const span = (spans[endpointFamily(entry.route)] ??= { from: offset, to: offset });
    span.to = offset;
  }
  return spans;
}

/** API calls only (ARM, Resource Graph, Graph), by route name; token and control requests are not API calls. */
function endpointCounts(byRoute: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(byRoute).filter(([route]) => /^(arm|graph|resourceGraph)\./.test(route)));
}

/** `graph.servicePrincipals.list` → `graph.servicePrincipals`: the grain the lower bound is computed at. */
export const endpointFamily = (route: string) => route.split('.').slice(0, 2).join('.');

export const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
