import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAzurite } from '../emulator/azurite.ts';
import { authorize } from '../emulator/authz/rbac.ts';
import { eventFromOperation, type EventGridEvent } from '../emulator/eventgrid/events.ts';
import { startEmulator } from '../emulator/index.ts';
import { generateTenant } from '../emulator/seed/generate.ts';
import { SeededRandom } from '../emulator/seed/random.ts';
import type { Caller } from '../emulator/server/route.ts';
import { parseScope } from '../emulator/state/ids.ts';
import type { RoleAssignment } from '../emulator/state/model.ts';
import type { Tenant } from '../emulator/state/tenant.ts';
import { EventBurstReply, type EventBurstTimings } from './measurement.ts';
import { notMeasuredEvents, type EventsResult } from './results.ts';
import { LATENCY_MS, round } from './sweep-size.ts';

const NEEDED = ['../functions/index.ts', '../src/events/process-event.ts', '../src/runtime/event-delivery.ts'].map((path) => new URL(path, import.meta.url));
const TIME_LIMIT_SECONDS = 300;
const UNIQUE_EVENTS = 900;
const DUPLICATES = 100;

/** An enforcing policy, so that events lead to actions that could be duplicated. */
const POLICY = `version: 1
enforcement: enforce
rules:
  privileged-role-broad-scope: { action: remediate, remediation: remove }
`;

export interface EventBurst {
  result: EventsResult;
  /** What else the burst measured, for the printed details. */
  details?: EventBurstTimings & { remediations: number; apiCallsPerEvent: number; throttled: number };
}

/**
 * A burst of 1,000 role-assignment events (10 % duplicates) through the event path. A generated size-S tenant is
 * served with 30 ms latency and the platform limits, with Azurite for the bot's state and an enforcing policy; 900
 * write events, one per existing role assignment as if a person had just made it, and 100 of them delivered a second
 * time, in a seeded random order, go to bench/event-burst-process.ts (after one untimed warm-up event, whose three
 * calls count in the calls an event). Duplicate actions are counted where they would do harm: the same role
 * assignment deleted twice (the emulator's log), or the same finding acted on twice.
 */
export async function measureEventBurst(): Promise<EventBurst> {
  const missing = NEEDED.filter((url) => !existsSync(url));
  if (missing.length > 0) return { result: notMeasuredEvents(`not measured yet: needs ${missing.map((url) => url.pathname.replace(/^.*?\/(functions|src)\//, '$1/')).join(' and ')}`) };
  const { seed } = generateTenant({ roleAssignments: 1_000, identities: 500, subscriptions: 5, seed: 11 });
  const emulator = await startEmulator({ seed, latencyMs: LATENCY_MS, throttling: true });
  const azurite = await startAzurite();
  try {
    const policyFile = join(mkdtempSync(join(tmpdir(), 'idwarden-bench-')), 'policy.yaml');
    writeFileSync(policyFile, POLICY);
    const person = seed.users![0]!.id!;
    const { claims } = emulator.core.tokens.mint({ principalId: person, tenantId: seed.tenantId, audience: 'https://management.azure.com', kind: 'user' });
    const caller: Caller = { principalId: person, appId: undefined, kind: 'user', claims };
    const events = writeEvents(emulator.core.tenant, caller);
    const deliveries = shuffled([...events, ...events.filter((_, index) => index % 9 === 0).slice(0, DUPLICATES)], new SeededRandom(3));
    const warmUp = warmUpEvent(emulator.core.tenant, caller, new Set(events.map((event) => event.subject.toLowerCase())));
    const env = {
      ...process.env,
      ...emulator.env,
      IDWARDEN_STORAGE_CONNECTION_STRING: azurite.connectionString,
      IDWARDEN_POLICY_FILE: policyFile,
      IDWARDEN_TABLE_PREFIX: `bench${process.pid}`,
    };
    emulator.core.requests.reset();
    emulator.core.throttling.enable();
    const timings = await runBurstProcess(deliveries, warmUp, env);

    const deletes = new Map<string, number>();
    for (const entry of emulator.core.requests.recent()) {
      if (entry.method !== 'DELETE' || !entry.route.startsWith('arm.roleAssignments') || entry.status !== 200) continue;
      deletes.set(entry.path.toLowerCase(), (deletes.get(entry.path.toLowerCase()) ?? 0) + 1);
    }
    const deletedTwice = [...deletes.values()].reduce((sum, n) => sum + Math.max(0, n - 1), 0);
    const apiCalls = Object.entries(emulator.core.requests.countsByRoute())
      .filter(([route]) => /^(arm|graph|resourceGraph)\./.test(route))
      .reduce((sum, [, n]) => sum + n, 0);
    const { throttled } = emulator.core.throttling.stats();
    const undecided = events.length - timings.decided;
    return {
      result: {
        count: deliveries.length,
        perSecond: round(deliveries.length / timings.wallSeconds, 1),
        p50Ms: round(timings.p50Ms, 1),
        p99Ms: round(timings.p99Ms, 1),
        p50BeyondLatencyMs: round(timings.p50BeyondLatencyMs, 1),
        p99BeyondLatencyMs: round(timings.p99BeyondLatencyMs, 1),
        duplicateActions: deletedTwice + timings.repeatedActions,
        ...(undecided > 0 ? { notMeasured: `${undecided} events were still undecided after the last redelivery` } : {}),
      },
      details: { ...timings, remediations: deletes.size, apiCallsPerEvent: apiCalls / deliveries.length, throttled: throttled.arm + throttled.resourceGraph + throttled.graph },
    };
  } catch (error) {
    return { result: notMeasuredEvents(`the event burst failed: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`) };
  } finally {
    await azurite.stop();
    await emulator.stop();
  }
}

function runBurstProcess(deliveries: EventGridEvent[], warmUp: EventGridEvent, env: NodeJS.ProcessEnv): Promise<EventBurstTimings> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./event-burst-process.ts', import.meta.url), [], { execArgv: ['--import', 'tsx'], env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the event burst did not finish within ${TIME_LIMIT_SECONDS} s`));
    }, TIME_LIMIT_SECONDS * 1000);
    child.once('message', (message) => {
      const reply = EventBurstReply.safeParse(message);
      if (!reply.success) reject(new Error('the event burst sent an unreadable result'));
      else if (!reply.data.ok) reject(new Error(reply.data.error));
      else resolve(reply.data.timings);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the event burst exited (${signal ?? code}) without a result`));
    });
    child.send({ deliveries, warmUp, latencyMs: LATENCY_MS });
  });
}

/** A write event for each of the first role assignments below a subscription, as if the person had just made it. */
function writeEvents(tenant: Tenant, caller: Caller): EventGridEvent[] {
  const events: EventGridEvent[] = [];
  for (const assignment of tenant.roleAssignments.values()) {
    if (events.length === UNIQUE_EVENTS) break;
    const event = writeEvent(tenant, caller, assignment);
    if (event) events.push(event);
  }
  return events;
}

/**
 * The event the bot handles before the burst, untimed: the burst is measured on a running instance, one that has
 * already handled an event (its SDKs loaded, its tokens fetched), as the runtime is built before the clock starts.
 * A Reader assignment of a principal that exists, outside the burst: judged, acted on never.
 */
function warmUpEvent(tenant: Tenant, caller: Caller, inBurst: ReadonlySet<string>): EventGridEvent {
  for (const assignment of tenant.roleAssignments.values()) {
    if (inBurst.has(assignment.id.toLowerCase()) || tenant.roleDefinition(assignment.roleDefinitionName)?.roleName !== 'Reader') continue;
    if (!tenant.directoryObject(assignment.principalId)) continue;
    const event = writeEvent(tenant, caller, assignment);
    if (event) return event;
  }
  throw new Error('the generated tenant has no Reader assignment outside the burst to warm up with');
}

function writeEvent(tenant: Tenant, caller: Caller, assignment: RoleAssignment): EventGridEvent | undefined {
  const parsed = parseScope(assignment.scope);
  if (!parsed?.subscriptionId) return undefined;
  return eventFromOperation(
    {
      kind: 'write',
      resourceId: assignment.id,
      operationName: 'Microsoft.Authorization/roleAssignments/write',
      resourceProvider: 'Microsoft.Authorization',
      subscriptionId: parsed.subscriptionId,
      resourceGroup: parsed.resourceGroup,
      caller,
      authorization: authorize(tenant, caller.principalId, 'Microsoft.Authorization/roleAssignments/write', assignment.scope),
      httpMethod: 'PUT',
      url: `https://management.azure.com${assignment.id}?api-version=2022-04-01`,
      correlationId: randomUUID(),
      clientRequestId: randomUUID(),
      at: new Date(),
    },
    tenant,
  );
}

/** Fisher-Yates with a seeded source: the same order every run, the duplicates spread through the burst. */
function shuffled<T>(items: T[], random: SeededRandom): T[] {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = random.int(0, i);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
