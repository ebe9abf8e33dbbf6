import { startAzurite, type RunningAzurite } from '../emulator/azurite.ts';
import { startEmulator, type RunningEmulator } from '../emulator/index.ts';
import { generateTenant, optionsForSize } from '../emulator/seed/generate.ts';
import { SeededRandom } from '../emulator/seed/random.ts';
import type { SeedInput } from '../emulator/seed/schema.ts';
import { loadFunctionsApp, type RegisteredFunction } from '../src/hosting/local-functions-host.ts';
import type { Finding } from '../src/model/finding.ts';
import type { Snapshot } from '../src/model/snapshot.ts';
import { runSweep } from '../src/pipeline/sweep.ts';
import { sharedRuntime, type Runtime } from '../src/runtime/runtime.ts';
import { soakPolicy, writePolicyFile } from './policy.ts';

/** Per-request latency: a bot a region away from ARM and Graph, as the bench measures it. */
export const LATENCY_MS = 30;
const TOP_MANAGEMENT_GROUP = 'mg-gen';

/** A user-assigned identity the person may grant roles to (its resource group is where a down-scope lands). */
export interface TargetIdentity {
  id: string;
  principalId: string;
  subscriptionId: string;
  resourceGroupId: string;
}

/** Everything the soak drives and watches: the emulator, Azurite, the Functions app and its runtime. */
export interface SoakWorld {
  emulator: RunningEmulator;
  azurite: RunningAzurite;
  functions: Map<string, RegisteredFunction>;
  runtime: Runtime;
  /** The person making changes: Owner on the top management group. */
  humanPrincipalId: string;
  /** The identity the policy protects; the person grants it broad roles too, which the bot must leave alone. */
  protectedIdentity: TargetIdentity;
  /** Attached user-assigned identities of the generated tenant (the bot's own and the protected one excluded). */
  identities: TargetIdentity[];
  subscriptionIds: string[];
  /** A fault-free sweep of the untouched tenant, before anything runs: the yardstick of "no finding lost". */
  initial: { findings: readonly Finding[]; snapshot: Snapshot };
  stop(): Promise<void>;
}

/**
 * A generated size-S tenant served with 30 ms latency and the platform's limits, plus a person who is Owner of the
 * whole estate; Azurite for the bot's state; the Functions app loaded in-process with the soak's enforcing policy,
 * Teams and GitHub issues as its sinks (the emulator's).
 */
export async function startSoakWorld(seedNumber: number): Promise<SoakWorld> {
  const { seed } = generateTenant(optionsForSize('S', seedNumber));
  const humanPrincipalId = seed.users![0]!.id!;
  seed.roleAssignments!.push({
    name: new SeededRandom(seedNumber).guid(),
    scope: `/providers/Microsoft.Management/managementGroups/${TOP_MANAGEMENT_GROUP}`,
    role: 'Owner',
    principalId: humanPrincipalId,
    principalType: 'User',
  });
  const [protectedIdentity, ...identities] = attachedIdentities(seed);
  if (!protectedIdentity || identities.length === 0) throw new Error('the generated tenant has no attached user-assigned identities to work with');

  const emulator = await startEmulator({ seed, latencyMs: LATENCY_MS, throttling: true });
  const azurite = await startAzurite();
  const teams = emulator.core.sinks.teams.createWorkflow(emulator.baseUrl, 'secops');
  const policyFile = writePolicyFile(soakPolicy({ topManagementGroup: TOP_MANAGEMENT_GROUP, botPrincipalId: seed.bot!.principalId, protectedPrincipalId: protectedIdentity.principalId }));
  // The bot's credential is the emulator's managed identity, whatever this shell had configured.
  for (const name of ['AZURE_CLIENT_ID', 'AZURE_TENANT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_FEDERATED_TOKEN_FILE', 'MSI_ENDPOINT', 'MSI_SECRET', 'IMDS_ENDPOINT']) delete process.env[name];
  Object.assign(process.env, emulator.env, {
    IDWARDEN_STORAGE_CONNECTION_STRING: azurite.connectionString,
    IDWARDEN_POLICY_FILE: policyFile,
    IDWARDEN_TABLE_PREFIX: `soak${process.pid}`,
    TEAMS_WEBHOOK_URL: teams.url,
  });
  const functions = await loadFunctionsApp();
  const runtime = await sharedRuntime();
  const { findings, snapshot } = await runSweep(runtime.clients, runtime.policy, { asOf: runtime.now() });
  if (snapshot.gaps.length > 0) throw new Error(`the fault-free yardstick sweep had gaps: ${snapshot.gaps.map((gap) => gap.reason).join('; ')}`);
  return {
    emulator,
    azurite,
    functions,
    runtime,
    humanPrincipalId,
    protectedIdentity,
    identities,
    subscriptionIds: seed.subscriptions!.map((subscription) => subscription.subscriptionId),
    initial: { findings, snapshot },
    async stop() {
      await azurite.stop();
      await emulator.stop();
    },
  };
}

/** User-assigned identities some resource uses, the bot's own left out, in seed order. */
function attachedIdentities(seed: SeedInput): TargetIdentity[] {
  const attached = new Set(seed.resources!.flatMap((resource) => resource.identity?.userAssignedIdentities ?? []).map((id) => id.toLowerCase()));
  return seed
    .userAssignedIdentities!.filter((identity) => identity.principalId !== seed.bot!.principalId && attached.has(identity.id.toLowerCase()))
    .map((identity) => {
      const resourceGroupId = identity.id.split('/providers/')[0]!;
      return { id: identity.id, principalId: identity.principalId!, subscriptionId: resourceGroupId.split('/')[2]!, resourceGroupId };
    });
}
