import azureFunctions from '@azure/functions';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { credentialFor, useEmulator } from '../support/emulator.ts';
import { useAzurite, type RunningAzurite } from '../support/azurite.ts';
import { loadFunctionsApp, invocationContext, type RegisteredFunction } from '../support/functions-host.ts';
import { DEMO_SEED } from '../../emulator/index.ts';
import type { RunningEmulator } from '../../emulator/index.ts';
import type { FaultRule } from '../../emulator/faults/faults.ts';
import { createRuntime, installSharedRuntime, sharedRuntime, type Runtime } from '../../src/runtime/runtime.ts';
import { runSweep } from '../../src/pipeline/sweep.ts';
import type { Finding } from '../../src/model/finding.ts';
import type { Snapshot } from '../../src/model/snapshot.ts';

/**
 * One fault scenario's world, per test file (each file is its own process, so each scenario starts from the demo
 * seed and empty storage): the emulator, Azurite, the Functions app with the enforce policy and real sinks, as in
 * test/e2e/enforce-twice.test.ts, and the findings of a fault-free sweep taken before any fault is injected.
 */
export interface FaultHarness {
  emulator: RunningEmulator;
  azurite: RunningAzurite;
  functions: Map<string, RegisteredFunction>;
  runtime: Runtime;
  /** What a fault-free sweep of the untouched tenant finds: the yardstick of "no finding lost". */
  faultFree: readonly Finding[];
  /** The inventory that sweep read: the true state of every object before any fault or action. */
  faultFreeSnapshot: Snapshot;
}

export async function startFaultHarness(name: string): Promise<FaultHarness> {
  const emulator = await useEmulator({ seed: DEMO_SEED, clockStartsAt: new Date('2026-11-20T12:00:00Z') });
  const azurite = await useAzurite();
  const teams = emulator.core.sinks.teams.createWorkflow(emulator.baseUrl, 'secops');
  // Email needs Mail.Send, as a deployment with email on grants it.
  const tenant = emulator.core.tenant;
  tenant.grantAppRole(tenant.bot.principalId, tenant.microsoftGraph.appRoles.find((role) => role.value === 'Mail.Send')!.id, tenant.microsoftGraph.id, emulator.core.clock.now());
  Object.assign(process.env, emulator.env, {
    IDWARDEN_STORAGE_CONNECTION_STRING: azurite.connectionString,
    IDWARDEN_POLICY_FILE: new URL('../../src/policy/examples/enforce.yaml', import.meta.url).pathname,
    IDWARDEN_TABLE_PREFIX: `${name}${process.pid}`,
    TEAMS_WEBHOOK_URL: teams.url,
  });
  const functions = await loadFunctionsApp();
  const runtime = await sharedRuntime();
  const { findings, snapshot } = await runSweep(runtime.clients, runtime.policy, { asOf: runtime.now() });
  return { emulator, azurite, functions, runtime, faultFree: findings, faultFreeSnapshot: snapshot };
}

/** Runs `body` with the fault rules in place, and always takes them out again. */
export async function withFaults<T>(emulator: RunningEmulator, rules: FaultRule[], body: (ids: string[]) => Promise<T>): Promise<T> {
  const ids = rules.map((rule) => emulator.core.faults.add(rule));
  try {
    return await body(ids);
  } finally {
    for (const id of ids) emulator.core.faults.remove(id);
  }
}

/** The timer function, as the host fires it: enqueues the sweep's scan requests. */
export async function fireSweepTimer(harness: FaultHarness): Promise<void> {
  const { context } = invocationContext('sweep');
  await harness.functions.get('sweep')!.handler({ isPastDue: false }, context);
}

/** One queue message through the scan function, as the host delivers it; the host deletes it only when this resolves. */
export async function deliverScan(harness: FaultHarness, messageText: string, dequeueCount = 1): Promise<string[]> {
  const { context, logs } = invocationContext('scanSubscriptions', { triggerMetadata: { dequeueCount } });
  await harness.functions.get('scanSubscriptions')!.handler(JSON.parse(Buffer.from(messageText, 'base64').toString('utf8')), context);
  return logs.map((log) => log.message);
}

/**
 * The scan requests in the queue now, as the host will give up on them after a kill: `poison()` takes them off the
 * queue (visible or held by a dead worker) onto the poison queue, as the host does once their dequeue count runs
 * out. They are never delivered again.
 */
export async function scanRequestsToPoison(harness: FaultHarness): Promise<{ count: number; poison(): Promise<void> }> {
  const { scanQueue, scanPoisonQueue } = harness.runtime;
  const messages = (await scanQueue.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.map((item) => item.messageText);
  return {
    count: messages.length,
    async poison() {
      await scanQueue.clearMessages();
      for (const message of messages) await scanPoisonQueue.sendMessage(message);
    },
  };
}

/** The bot on another instance whose clock reads `aheadMs` past real time (the bot some minutes later), on the harness's storage. */
export function runtimeAhead(aheadMs: number): Promise<Runtime> {
  return createRuntime(process.env, { now: () => new Date(Date.now() + aheadMs) });
}

/** One whole sweep as the host would run it: the timer, then every queue message through the queue function. */
export async function sweep(harness: FaultHarness): Promise<string[]> {
  const { scanQueue } = harness.runtime;
  const lines: string[] = [];
  await fireSweepTimer(harness);
  for (;;) {
    const { receivedMessageItems } = await scanQueue.receiveMessages({ numberOfMessages: 32 });
    if (receivedMessageItems.length === 0) return lines;
    for (const item of receivedMessageItems) {
      lines.push(...(await deliverScan(harness, item.messageText)));
      await scanQueue.deleteMessage(item.messageId, item.popReceipt);
    }
  }
}

/** The finding ids of the audit's removals (deleted or down-scoped), one entry per removal. */
export async function removals(harness: FaultHarness): Promise<{ findingId: string; ruleId: string; target: string }[]> {
  const audit = await harness.runtime.state.audit.list();
  return audit
    .filter((record) => record.kind === 'action' && (record.outcome === 'deleted' || record.outcome === 'downscoped'))
    .map((record) => ({ findingId: record.findingId!, ruleId: record.ruleId!, target: record.target }));
}

/** The findings the fault-free sweep decided to remediate: what an undisturbed enforcing sweep removes. */
export function remediable(harness: FaultHarness): string[] {
  return harness.faultFree.filter((finding) => finding.decision.action === 'remediate').map((finding) => finding.id).sort();
}

/** An ARM-shaped error answer for a fault rule. */
export function armError(status: number, code: string, headers: Record<string, string> = {}) {
  return { status, headers, body: { error: { code, message: `injected by the fault suite: ${code}` } } };
}

/** A Graph-shaped error answer for a fault rule. */
export function graphError(status: number, code: string, headers: Record<string, string> = {}) {
  return { status, headers, body: { error: { code, message: `injected by the fault suite: ${code}`, innerError: { date: '2026-11-20T12:00:00', 'request-id': 'fault', 'client-request-id': 'fault' } } } };
}

/** The emulator's Event Grid posting to the bot's registered webhook function, as the host would route it; its log lines land in `lines`. */
export function webhookDeliverer(harness: FaultHarness, lines: string[]): (body: unknown, headers: Record<string, string>) => Promise<number> {
  return async (body, headers) => {
    const request = new azureFunctions.HttpRequest({ method: 'POST', url: 'https://idwarden.example/api/events', headers, body: { string: JSON.stringify(body) } });
    const { context, logs } = invocationContext('eventGridWebhook');
    const response = (await harness.functions.get('eventGridWebhook')!.handler(request, context)) as { status: number };
    lines.push(...logs.map((log) => log.message));
    return response.status;
  };
}

/** Ada Lovelace, Owner of contoso-prod in the demo seed: the human whose grants the event scenarios make. */
export const HUMAN_OWNER = 'e0000000-0000-4000-8000-000000000001';
export const SUB_CONTOSO_PROD = '5b000001-0000-4000-8000-000000000001';
/** uami-web-prod: a managed identity with its own resource group, so a broad Owner grant to it is down-scoped. */
export const UAMI_WEB_PROD = 'a1000000-0000-4000-8000-000000000001';
export const OWNER_ROLE = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';

/** Role assignments on contoso-prod as the human owner, through the real SDK. */
export function asHumanOwner(harness: FaultHarness): AuthorizationManagementClient {
  return new AuthorizationManagementClient(credentialFor(harness.emulator, HUMAN_OWNER), SUB_CONTOSO_PROD, {
    endpoint: harness.emulator.baseUrl,
    credentialScopes: ['https://management.azure.com/.default'],
  });
}

/**
 * Swaps the Functions app onto a freshly started process's runtime whose credential has no token cached yet and
 * whose tokens are at the end of their life as soon as they arrive, so every Azure call asks the managed-identity
 * endpoint again, as a bot does at the hour's token expiry; token-endpoint faults then bite where the bot needs
 * a token. MSAL caches managed-identity tokens process-wide per identity, so the new runtime names the bot's own
 * identity by its client id (a cache entry apart from the system-assigned one). The observed alert dispatcher is
 * kept, so the invariants still see every alert; the state store is the same storage under the same table prefix.
 */
export async function useTokenHungryRuntime(harness: FaultHarness, env: Record<string, string> = {}): Promise<Runtime> {
  const { core } = harness.emulator;
  const secondsBehind = Math.ceil((Date.now() - core.clock.now().getTime()) / 1000);
  core.tokenLifetimeSeconds = Math.max(1, secondsBehind + 1);
  const fresh = await createRuntime({ ...process.env, AZURE_CLIENT_ID: core.tenant.bot.clientId, ...env });
  const runtime: Runtime = { ...fresh, alerts: harness.runtime.alerts };
  installSharedRuntime(runtime);
  harness.runtime = runtime;
  return runtime;
}
