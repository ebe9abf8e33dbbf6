import type { EventBurst } from './events.ts';
import type { BenchResults } from './results.ts';
import { endpointFamily, LATENCY_MS, round, type SizeReport, type SweepRun } from './sweep-size.ts';

/** Issue 7's targets, checked against the figures so a run says plainly which it meets. */
export const TARGETS = {
  callsOverLowerBound: 1.25,
  fewerCallsThanBaselineAtM: 20,
  wallSecondsAtL: 60,
  peakRssMbAtL: 512,
  coldImportMs: 300,
  eventP99Ms: 250,
} as const;

const cell = (value: number | string | null | undefined) => (value === null || value === undefined ? '–' : String(value));
const table = (header: string[], rows: (string | number | null | undefined)[][]) =>
  [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`)].join('\n');

/** The run as markdown: the summary table, the targets, then per size the calls by endpoint beside the lower bound. */
export function markdown(results: BenchResults, reports: SizeReport[], eventDetails?: EventBurst['details']): string {
  const { machine } = results;
  const lines = [
    `# idwarden benchmarks (${results.at})`,
    '',
    `Machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGb} GB, Node ${machine.node} (${machine.platform}/${machine.arch}). Emulator: 30 ms a request, ARM, Resource Graph and Graph limits on.`,
    '',
    table(
      ['size', 'role assignments', 'identities', 'subscriptions', 'API calls', 'lower bound', 'calls / bound', 'baseline calls', 'baseline / idwarden', '429s', 'wall s', 'baseline wall s', 'peak RSS MB', 'findings'],
      reports.map(({ size, result: r }) => [
        size,
        r.roleAssignments,
        r.identities,
        r.subscriptions,
        r.apiCalls,
        r.lowerBound,
        ratio(r.apiCalls, r.lowerBound),
        r.baselineCalls,
        ratio(r.baselineCalls, r.apiCalls),
        r.throttled,
        r.wallSeconds,
        r.baselineWallSeconds,
        r.peakRssMb,
        r.findings,
      ]),
    ),
    '',
    '## Targets',
    '',
    ...targetLines(results),
    '',
    '## Event burst and cold start',
    '',
    results.events.notMeasured
      ? `- Event burst: not measured (${results.events.notMeasured}).`
      : `- Event burst: ${results.events.count} deliveries (900 events, 100 of them twice), ${results.events.perSecond} a second, event to decision p50 ${results.events.p50Ms} ms, p99 ${results.events.p99Ms} ms; beyond the injected latency p50 ${results.events.p50BeyondLatencyMs} ms, p99 ${results.events.p99BeyondLatencyMs} ms; ${results.events.duplicateActions} duplicate actions` +
        (eventDetails
          ? ` (${LATENCY_MS} ms a call, ${round(eventDetails.apiCallsPerEvent, 1)} calls an event, injected latency on an event's critical path p50 ${round(eventDetails.p50InjectedMs, 1)} ms, p99 ${round(eventDetails.p99InjectedMs, 1)} ms; ${eventDetails.remediations} role assignments removed, ${eventDetails.redeliveries} redeliveries asked for, ${eventDetails.throttled} 429s).`
          : '.'),
    results.coldImport.notMeasured
      ? `- Cold import: not measured (${results.coldImport.notMeasured}).`
      : `- Cold import of functions/index: ${results.coldImport.ms} ms, peak RSS ${results.coldImport.peakRssMb} MB.`,
  ];
  for (const report of reports) lines.push('', ...sizeDetails(report));
  return `${lines.join('\n')}\n`;
}

function ratio(numerator: number | null, denominator: number | null): string | null {
  return numerator === null || denominator === null || denominator === 0 ? null : `${round(numerator / denominator, 2)}×`;
}

function targetLines(results: BenchResults): string[] {
  const verdict = (met: boolean | null) => (met === null ? 'not measured' : met ? 'met' : 'MISSED');
  const lines = (['S', 'M', 'L'] as const).map((size) => {
    const r = results.sizes[size];
    const met = r.apiCalls === null || r.lowerBound === null ? null : r.apiCalls <= TARGETS.callsOverLowerBound * r.lowerBound;
    return `- ${size}: API calls ≤ ${TARGETS.callsOverLowerBound} × lower bound: ${verdict(met)} (${cell(r.apiCalls)} / ${cell(r.lowerBound)})`;
  });
  const m = results.sizes.M;
  const fewer = m.apiCalls !== null && m.baselineCalls !== null ? m.baselineCalls / m.apiCalls : null;
  lines.push(`- M: ≥ ${TARGETS.fewerCallsThanBaselineAtM}× fewer calls than the baseline: ${verdict(fewer === null ? null : fewer >= TARGETS.fewerCallsThanBaselineAtM)} (${fewer === null ? '–' : `${round(fewer, 1)}×`})`);
  const l = results.sizes.L;
  lines.push(`- L: wall time < ${TARGETS.wallSecondsAtL} s: ${verdict(l.wallSeconds === null ? null : l.wallSeconds < TARGETS.wallSecondsAtL)} (${cell(l.wallSeconds)} s)`);
  lines.push(`- L: peak RSS < ${TARGETS.peakRssMbAtL} MB: ${verdict(l.peakRssMb === null ? null : l.peakRssMb < TARGETS.peakRssMbAtL)} (${cell(l.peakRssMb)} MB)`);
  const { events, coldImport } = results;
  const beyond = events.p99BeyondLatencyMs;
  lines.push(
    `- Event burst p99 < ${TARGETS.eventP99Ms} ms beyond the injected latency on each event's critical path, no duplicate action: ${verdict(beyond === null ? null : beyond < TARGETS.eventP99Ms && events.duplicateActions === 0)} (${cell(beyond)} ms beyond, ${cell(events.p99Ms)} ms with it; ${cell(events.duplicateActions)} duplicates)`,
  );
  lines.push(`- Cold import < ${TARGETS.coldImportMs} ms: ${verdict(coldImport.ms === null ? null : coldImport.ms < TARGETS.coldImportMs)} (${cell(coldImport.ms)} ms)`);
  return lines;
}

function sizeDetails(report: SizeReport): string[] {
  const { size, bound, idwarden, baseline, manifest, failures } = report;
  const families = new Set([...bound.parts.map((part) => part.endpoint), ...[idwarden, baseline].flatMap((run) => Object.keys(run?.callsByEndpoint ?? {}).map(endpointFamily))]);
  const actual = (run: SweepRun | undefined, family: string) =>
    run ? Object.entries(run.callsByEndpoint).reduce((sum, [route, n]) => (endpointFamily(route) === family ? sum + n : sum), 0) : null;
  const expected = Object.values(manifest.expectedFindings).reduce((sum, n) => sum + n, 0);
  return [
    `## Size ${size}`,
    '',
    table(
      ['endpoint', 'idwarden calls', 'lower bound', 'what the bound reads', 'baseline calls'],
      [...families]
        .sort()
        .map((family) => [
          family,
          actual(idwarden, family),
          bound.parts.filter((part) => part.endpoint === family).reduce((sum, part) => sum + part.calls, 0),
          bound.parts
            .filter((part) => part.endpoint === family)
            .map((part) => `${part.calls}: ${part.why}`)
            .join('; '),
          actual(baseline, family),
        ]),
    ),
    '',
    `- Findings: ${cell(idwarden?.measurement.findings)} (the generator planted ${expected}${plantedDifferences(idwarden, manifest)}).`,
    `- Read by idwarden: ${JSON.stringify(idwarden?.measurement.read ?? {})}; by the baseline: ${JSON.stringify(baseline?.measurement.read ?? {})}.`,
    `- 429s: idwarden ${cell(idwarden?.throttled)}, baseline ${cell(baseline?.throttled)}. Emulator CPU during the sweep: idwarden ${cell(idwarden?.emulatorCpuSeconds)} s, baseline ${cell(baseline?.emulatorCpuSeconds)} s.`,
    ...(idwarden ? [`- When idwarden called each endpoint (s from its first call): ${Object.entries(idwarden.timeline).map(([family, span]) => `${family} ${span.from}–${span.to}`).join(', ')}.`] : []),
    ...(idwarden?.measurement.gaps.length ? [`- Gaps in the idwarden snapshot: ${idwarden.measurement.gaps.join(' | ')}`] : []),
    ...failures.map((failure) => `- Failed: ${failure}`),
  ];
}

/**
 * Rules whose finding count differs from what the generator planted, e.g. ` ; orphaned-role-assignment 500 against 400`,
 * and rules whose findings with remediation blocked differ from the planted ones that must never be remediated.
 */
function plantedDifferences(run: SweepRun | undefined, manifest: SizeReport['manifest']): string {
  if (!run) return '';
  const { findingsByRule, remediationBlockedByRule } = run.measurement;
  const differing = [
    ...Object.entries(manifest.expectedFindings)
      .filter(([rule, planted]) => (findingsByRule[rule] ?? 0) !== planted)
      .map(([rule, planted]) => `${rule} ${findingsByRule[rule] ?? 0} against ${planted}`),
    ...Object.entries(manifest.remediationBlocked)
      .filter(([rule, planted]) => (remediationBlockedByRule[rule] ?? 0) !== planted)
      .map(([rule, planted]) => `${rule} with remediation blocked ${remediationBlockedByRule[rule] ?? 0} against ${planted}`),
  ];
  const blocked = Object.entries(manifest.remediationBlocked).map(([rule, planted]) => `${planted} ${rule} with remediation blocked`).join(', ');
  return differing.length === 0 ? `, every rule as planted, ${blocked}` : `; differing: ${differing.join(', ')}`;
}
