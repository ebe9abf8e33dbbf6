/**
 * idwarden's soak (issue 8 §5), not part of `npm test`:
 *   node --import tsx bin/with-emulator-ca.ts -- node --import tsx soak/run.ts [--minutes 30] [--seed 1]
 * For the given minutes, against a generated size-S tenant (30 ms latency, the platform's limits) and Azurite, with
 * an enforcing policy and the Teams and GitHub sinks, it mixes a person's changes through ARM (delivered to the
 * webhook function by Event Grid with duplicates, delays and reordering), sweeps (timer, then queue), and rounds of
 * faults; checks the safety invariants every few minutes and at the end; prints the figures and writes
 * soak/results/latest.json. Exits 1 when an invariant failed, 2 when the soak itself could not run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { deliverEventsToWebhook } from './events.ts';
import { faultRounds, FaultFigures } from './fault-rounds.ts';
import { MemorySampler, storageSizes } from './footprint.ts';
import { countStatuses } from './http-statuses.ts';
import { Person } from './person.ts';
import { QuietPoint } from './quiet-point.ts';
import { printSummary, type SoakResults } from './summary.ts';
import { SafetyChecks } from './safety.ts';
import { runSweep, SweepFigures } from './sweeps.ts';
import { sleep, Tally } from './tally.ts';
import { startSoakWorld } from './world.ts';

const Flags = z.object({ minutes: z.coerce.number().positive().max(24 * 60), seed: z.coerce.number().int().nonnegative() });
const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));
/** Longest the end of the soak may take to settle (deliver what is pending, one calm sweep). */
const SETTLE_LIMIT_MS = 5 * 60_000;

function flags() {
  const { values } = parseArgs({ options: { minutes: { type: 'string', default: '30' }, seed: { type: 'string', default: '1' } }, strict: true });
  return Flags.parse(values);
}

/** The rhythm, from the length: a 30-minute soak sweeps every 3 minutes, checks every 5, and switches faults every minute. */
function schedule(totalMs: number) {
  return {
    sweepEveryMs: clamp(totalMs / 10, 20_000, 180_000),
    checkEveryMs: clamp(totalMs / 6, 30_000, 300_000),
    faultRoundMs: clamp(totalMs / 30, 6_000, 60_000),
    personEveryMs: 1_500,
  };
}

async function main(): Promise<number> {
  const { minutes, seed } = flags();
  const totalMs = minutes * 60_000;
  const rhythm = schedule(totalMs);
  const unhandled = new Tally();
  process.on('unhandledRejection', (reason) => unhandled.add(reason instanceof Error ? reason.name : String(reason)));

  process.stderr.write(`soak: starting the world (size S, seed ${seed})…\n`);
  const world = await startSoakWorld(seed);
  const startedAt = performance.now();
  const elapsed = () => Math.round((performance.now() - startedAt) / 1000);
  const memory = new MemorySampler(5_000);
  try {
    const quiet = new QuietPoint();
    const safety = new SafetyChecks(world, startedAt);
    const bot = (await world.runtime.bot()).principalId;
    const http = countStatuses(world.emulator, bot);
    const events = await deliverEventsToWebhook(world, quiet);
    const sweeps = new SweepFigures();
    const faults = new FaultFigures();
    const person = new Person(world, seed);
    const storageAtStart = await storageSizes(world);

    const stop = new AbortController();
    process.stderr.write(`soak: running ${minutes} min (sweep every ${rhythm.sweepEveryMs / 1000} s, invariants every ${rhythm.checkEveryMs / 1000} s, fault rounds of ${rhythm.faultRoundMs / 1000} s)…\n`);
    const loops = [
      person.run(rhythm.personEveryMs, stop.signal),
      faultRounds(world.emulator, rhythm.faultRoundMs, stop.signal, faults),
      (async () => {
        while (!stop.signal.aborted) {
          const outcome = await runSweep(world, quiet, sweeps);
          process.stderr.write(`soak: ${elapsed()} s sweep ${sweeps.started}: ${outcome}\n`);
          await sleep(rhythm.sweepEveryMs, stop.signal);
        }
      })(),
      (async () => {
        for (await sleep(rhythm.checkEveryMs, stop.signal); !stop.signal.aborted; await sleep(rhythm.checkEveryMs, stop.signal)) {
          const held = await quiet.whenQuiet(() => safety.check());
          process.stderr.write(`soak: ${elapsed()} s invariants ${held ? 'hold' : 'VIOLATED'} (${safety.violations.size} so far)\n`);
        }
      })(),
    ];
    await sleep(totalMs);
    stop.abort();
    await Promise.all(loops);
    const loadEndedAt = elapsed();

    process.stderr.write(`soak: ${elapsed()} s settling: pending deliveries, then one calm sweep…\n`);
    const settled = await withinLimit(async () => {
      await world.emulator.eventGrid.flush();
      const outcome = await runSweep(world, quiet, sweeps);
      // The final sweep's own remediations come back as events too.
      await world.emulator.eventGrid.flush();
      return outcome;
    });
    const finalHeld = await quiet.whenQuiet(() => safety.check());
    process.stderr.write(`soak: final invariants ${finalHeld ? 'hold' : 'VIOLATED'}\n`);

    const audit = await world.runtime.state.audit.list();
    const auditByOutcome = new Tally();
    for (const record of audit) auditByOutcome.add(`${record.kind} ${record.outcome}`);
    const open = await world.runtime.state.findings.listOpen();
    const results: SoakResults = {
      minutes,
      seed,
      durationSeconds: elapsed(),
      loadSeconds: loadEndedAt,
      rhythm,
      settle: settled,
      person: person.figures.toJSON(),
      events: { ...events.toJSON(), deadLettered: world.emulator.eventGrid.deadLetters.length },
      sweeps: sweeps.toJSON(),
      actions: {
        auditByKindAndOutcome: auditByOutcome.toJSON(),
        removals: audit.filter((record) => record.kind === 'action' && (record.outcome === 'deleted' || record.outcome === 'downscoped')).length,
        openFindingsAtEnd: open.length,
        openRemediableFindingsAtEnd: open.filter((stored) => stored.finding.decision.action === 'remediate').length,
        githubIssuesCreated: world.emulator.core.sinks.github.requests.filter((request) => request.route === 'github.issues.create').length,
        githubRequestsByRoute: countBy(world.emulator.core.sinks.github.requests.map((request) => request.route)),
        teamsPosts: world.emulator.core.sinks.teams.posts().length,
      },
      faults: faults.toJSON(),
      http: { ...http.toJSON(), throttledByTheLimits: world.emulator.core.throttling.stats().throttled },
      errors: { unhandledRejections: unhandled.toJSON(), events: events.errors.toJSON(), sweeps: sweeps.errors.toJSON(), person: person.figures.failed.toJSON() },
      invariants: safety.toJSON(),
      memory: memory.stop(),
      storage: { atStart: storageAtStart, atEnd: await storageSizes(world) },
      at: new Date().toISOString(),
    };
    const out = new URL('./results/latest.json', import.meta.url);
    mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(printSummary(results));
    process.stderr.write(`soak: wrote ${out.pathname}\n`);
    return safety.violations.size > 0 ? 1 : 0;
  } finally {
    await world.stop();
  }
}

function countBy(keys: readonly string[]): Record<string, number> {
  const tally = new Tally();
  for (const key of keys) tally.add(key);
  return tally.toJSON();
}

async function withinLimit(body: () => Promise<string>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`did not settle within ${SETTLE_LIMIT_MS / 1000} s`), SETTLE_LIMIT_MS)));
  try {
    return await Promise.race([body(), limit]);
  } finally {
    clearTimeout(timer);
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`soak: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 2;
}
// The SDK clients' keep-alive sockets would hold the process open.
process.exit();
