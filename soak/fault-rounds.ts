import type { FaultRule } from '../emulator/faults/faults.ts';
import type { RunningEmulator } from '../emulator/index.ts';
import { sleep, Tally } from './tally.ts';

const armError = (status: number, code: string) => ({ status, headers: { 'Retry-After': '1' }, body: { error: { code, message: `injected by the soak: ${code}` } } });
const graphError = (status: number, code: string) => ({
  status,
  headers: { 'Retry-After': '1' },
  body: { error: { code, message: `injected by the soak: ${code}`, innerError: { date: new Date().toISOString().slice(0, 19), 'request-id': 'soak', 'client-request-id': 'soak' } } },
});

/** The kinds of trouble, taken in turn; each a burst of limited size, so the bot's retries can outlast some of it. */
export const FAULT_KINDS: Record<string, FaultRule[]> = {
  'arm-429-storm': [{ route: 'arm', times: 40, response: armError(429, 'TooManyRequests') }],
  'graph-5xx-burst': [
    { route: 'graph', times: 20, response: graphError(503, 'serviceUnavailable') },
    { route: 'graph', method: 'GET', times: 10, response: graphError(500, 'generalException') },
  ],
  'dropped-connections': [
    { route: 'arm', drop: true, times: 8 },
    { route: 'resourceGraph', drop: true, times: 4 },
    { route: 'graph', drop: true, times: 4 },
  ],
  'slow-responses': [
    { route: 'arm', latencyMs: 4_000, times: 15 },
    { route: 'graph', latencyMs: 4_000, times: 15 },
    { route: 'resourceGraph', latencyMs: 4_000, times: 5 },
  ],
  'resource-graph-429-storm': [{ route: 'resourceGraph', times: 6, response: armError(429, 'RateLimiting') }],
};

export class FaultFigures {
  rounds = 0;
  /** Requests each kind of fault answered (or slowed, or dropped). */
  readonly injected = new Tally();

  toJSON() {
    return { rounds: this.rounds, injectedByKind: this.injected.toJSON(), injectedTotal: this.injected.total() };
  }
}

/**
 * Faults on and off in rounds until `signal` aborts: `roundMs` with one kind of fault in place (the next kind each
 * round), then `roundMs` calm. Whatever is in place is taken out when the rounds end.
 */
export async function faultRounds(emulator: RunningEmulator, roundMs: number, signal: AbortSignal, figures: FaultFigures): Promise<void> {
  const kinds = Object.keys(FAULT_KINDS);
  const { faults } = emulator.core;
  for (let round = 0; !signal.aborted; round += 1) {
    const kind = kinds[round % kinds.length]!;
    const ids = FAULT_KINDS[kind]!.map((rule) => faults.add(rule));
    figures.rounds += 1;
    await sleep(roundMs, signal);
    const counts = faults.counts();
    for (const id of ids) {
      figures.injected.add(kind, counts[id] ?? 0);
      faults.remove(id);
    }
    await sleep(roundMs, signal);
  }
}
