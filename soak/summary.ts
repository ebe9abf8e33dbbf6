import type { EventFigures } from './events.ts';
import type { FaultFigures } from './fault-rounds.ts';
import type { MemorySampler, storageSizes } from './footprint.ts';
import type { PersonFigures } from './person.ts';
import type { SafetyChecks } from './safety.ts';
import type { SweepFigures } from './sweeps.ts';

/** soak/results/latest.json. */
export interface SoakResults {
  minutes: number;
  seed: number;
  durationSeconds: number;
  /** When the person, the faults and the sweeps stopped; the rest was settling and the final checks. */
  loadSeconds: number;
  rhythm: { sweepEveryMs: number; checkEveryMs: number; faultRoundMs: number; personEveryMs: number };
  /** The final calm sweep's outcome, or why the soak did not settle. */
  settle: string;
  person: ReturnType<PersonFigures['toJSON']>;
  events: ReturnType<EventFigures['toJSON']> & { deadLettered: number };
  sweeps: ReturnType<SweepFigures['toJSON']>;
  actions: {
    auditByKindAndOutcome: Record<string, number>;
    removals: number;
    openFindingsAtEnd: number;
    openRemediableFindingsAtEnd: number;
    githubIssuesCreated: number;
    githubRequestsByRoute: Record<string, number>;
    teamsPosts: number;
  };
  faults: ReturnType<FaultFigures['toJSON']>;
  http: { requests: number; byStatus: Record<string, number>; answered429: number; answered429ByService: Record<string, number>; throttledByTheLimits: Record<string, number> };
  errors: Record<string, Record<string, number>>;
  invariants: ReturnType<SafetyChecks['toJSON']>;
  memory: ReturnType<MemorySampler['stop']>;
  storage: { atStart: Awaited<ReturnType<typeof storageSizes>>; atEnd: Awaited<ReturnType<typeof storageSizes>> };
  at: string;
}

const list = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([key, n]) => `${key} ${n}`)
    .join(', ') || 'none';

/** The figures as a short markdown report, for the terminal and the issue note. */
export function printSummary(r: SoakResults): string {
  const { events, sweeps, memory } = r;
  const rows: [string, string][] = [
    ['duration', `${r.durationSeconds} s (${r.loadSeconds} s under load, then settling: final sweep ${r.settle})`],
    ['person changes', `${list(r.person.changesMade)}; failed: ${list(r.person.changesFailed)}`],
    ['events delivered', `${events.eventsDelivered} in ${events.deliveries} deliveries (${events.uniqueEventsDelivered} distinct, ${events.duplicateDeliveries} duplicate deliveries), dead-lettered ${events.deadLettered}`],
    ['events processed', `${list(events.outcomes)}; rejected ${events.rejected}`],
    ['webhook answers', list(events.httpAnswers)],
    ['event latency', `p50 ${events.latencyMs.p50} ms, p99 ${events.latencyMs.p99} ms (event time to decision, Event Grid's injected 1–9 s delay included; ${events.latencyMs.decided} decided); handler p50 ${round(events.handlerMs.p50)} ms, p99 ${round(events.handlerMs.p99)} ms`],
    ['sweeps', `${sweeps.started}: ${list(sweeps.outcomes)}; batches ${list(sweeps.batches)}; p50 ${round(sweeps.seconds.p50)} s, max ${round(sweeps.seconds.max)} s; circuit breaker tripped ${sweeps.circuitBreakerTrips}`],
    ['actions (audit)', `${r.actions.removals} removals; ${list(r.actions.auditByKindAndOutcome)}`],
    ['event-path actions', list(events.actions)],
    ['alerts / tickets', `Teams posts ${r.actions.teamsPosts}; GitHub issues created ${r.actions.githubIssuesCreated}; GitHub requests: ${list(r.actions.githubRequestsByRoute)}`],
    ['open findings at end', `${r.actions.openFindingsAtEnd} (${r.actions.openRemediableFindingsAtEnd} decided remediate)`],
    ['faults injected', `${r.faults.rounds} rounds; ${list(r.faults.injectedByKind)}`],
    ['429 answers', `${r.http.answered429} (${list(r.http.answered429ByService)}); by the platform limits: ${list(r.http.throttledByTheLimits)}`],
    ['requests', `${r.http.requests}; ${list(r.http.byStatus)}`],
    ['errors by type', Object.entries(r.errors).map(([where, counts]) => `${where}: ${list(counts)}`).join('; ')],
    ['invariant violations', `${r.invariants.violations} in ${r.invariants.checks} checks${r.invariants.details.map((v) => `\n  - at ${v.firstSeenAt} s (${v.timesSeen}×): ${v.message}`).join('')}`],
    ['RSS (MB)', `start ${memory.rssMb.start}, peak ${memory.rssMb.peak}, end ${memory.rssMb.end}; heap used start ${memory.heapUsedMb.start}, end ${memory.heapUsedMb.end}`],
    ['Azurite at end', `${list(r.storage.atEnd.tables)}; queues: ${list(r.storage.atEnd.queues)}`],
  ];
  return `\n| figure | value |\n|---|---|\n${rows.map(([name, value]) => `| ${name} | ${value.replaceAll('|', '\\|')} |`).join('\n')}\n`;
}

const round = (value: number | null) => (value === null ? 'n/a' : Math.round(value * 10) / 10);
