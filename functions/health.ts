import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { sharedRuntime, VERSION } from '../src/runtime/runtime.ts';

/** Version, policy hash, the last sweep, and whether the state store answers; 503 when it does not. */
export async function health(_request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
  const runtime = await sharedRuntime();
  const ping = await runtime.state.ping();
  const sweeps = ping.reachable ? await runtime.state.runs.listLastSweeps() : [];
  const last = sweeps.reduce<(typeof sweeps)[number] | undefined>((latest, sweep) => (!latest || sweep.finishedAt > latest.finishedAt ? sweep : latest), undefined);
  return {
    status: ping.reachable ? 200 : 503,
    jsonBody: {
      version: VERSION,
      policyHash: runtime.policy.hash,
      enforcement: runtime.policy.policy.enforcement,
      lastSweep: last ? { finishedAt: last.finishedAt.toISOString(), outcome: last.outcome, subscriptions: sweeps.length } : null,
      stateStore: ping.reachable ? { reachable: true, latencyMs: ping.latencyMs } : { reachable: false, error: ping.error.message },
    },
  };
}

app.http('health', { methods: ['GET'], authLevel: 'function', route: 'health', handler: health });
