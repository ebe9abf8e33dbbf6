import { readFileSync } from 'node:fs';
import type { QueueClient } from '@azure/storage-queue';
import { createAzureClients, type AzureClients } from '../azure/clients.ts';
import { loadAzureConfig } from '../azure/config.ts';
import { whoAmI } from '../azure/whoami.ts';
import { loadPolicyFile, parsePolicy, type LoadedPolicy } from '../policy/load.ts';
import { createQueueClient, loadStorageConfig } from '../state/connection.ts';
import { openStateStore, type StateStore } from '../state/state-store.ts';
import { loadRuntimeSettings, type RuntimeSettings } from './settings.ts';
import { createAlertDispatcher, type AlertDispatcher } from '../actions/notify/dispatcher.ts';
import { findUpwards } from '../hosting/find-upwards.ts';

const DEFAULT_POLICY = new URL('../policy/default-policy.yaml', import.meta.url);
/** The app's version from its package.json, found upwards from here (src/ in a checkout, dist/src/ when built). */
function packageVersion(): string {
  const version = findUpwards(import.meta.dirname, 'package.json', (file) => {
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    return manifest.name === 'idwarden' ? manifest.version : undefined;
  });
  return version ?? 'unknown';
}
export const VERSION = packageVersion();

/** Everything a function invocation works with, built once per process from the app settings. */
export interface Runtime {
  /** The app settings it was made from (secrets such as the Teams webhook URL are read from here when used). */
  env: Readonly<Record<string, string | undefined>>;
  settings: RuntimeSettings;
  clients: AzureClients;
  policy: LoadedPolicy;
  state: StateStore;
  scanQueue: QueueClient;
  scanPoisonQueue: QueueClient;
  /** One per process: its rate limiters span every run the process sends. */
  alerts: AlertDispatcher;
  /** The bot's own object id and tenant (from its token), read once. */
  bot(): Promise<{ principalId: string; tenantId: string }>;
  now(): Date;
}

/** Builds the runtime; every configuration problem surfaces here, at start-up, as a typed error listing all of it. */
export async function createRuntime(env: Readonly<Record<string, string | undefined>>, options: { now?: () => Date } = {}): Promise<Runtime> {
  const settings = loadRuntimeSettings(env);
  const clients = createAzureClients(loadAzureConfig(env));
  const storage = loadStorageConfig(env);
  const policy = settings.policyFile ? loadPolicyFile(settings.policyFile) : parsePolicy(readFileSync(DEFAULT_POLICY, 'utf8'), DEFAULT_POLICY.pathname);
  const state = await openStateStore({ connection: storage, credential: clients.credential, ...(settings.tablePrefix ? { tablePrefix: settings.tablePrefix } : {}) });
  const scanQueue = await createQueueClient(storage, settings.scanQueue, { credential: clients.credential });
  const scanPoisonQueue = await createQueueClient(storage, `${settings.scanQueue}-poison`, { credential: clients.credential });
  await Promise.all([scanQueue.createIfNotExists(), scanPoisonQueue.createIfNotExists()]);
  let identity: Promise<{ principalId: string; tenantId: string }> | undefined;
  return {
    env,
    settings,
    clients,
    policy,
    state,
    scanQueue,
    scanPoisonQueue,
    alerts: createAlertDispatcher({ env, clients }),
    bot: () => {
      identity ??= whoAmI(clients.credential).catch((error: unknown) => {
        identity = undefined;
        throw error;
      });
      return identity;
    },
    now: options.now ?? (() => new Date()),
  };
}

let shared: Promise<Runtime> | undefined;

/** Hosts the functions in-process with a runtime made here (the demo's fixed clock, say) instead of from the environment. */
export function installSharedRuntime(runtime: Runtime): void {
  shared = Promise.resolve(runtime);
}

/** The process's runtime from its environment, made on first use; a failed start is retried by the next invocation. */
export function sharedRuntime(): Promise<Runtime> {
  shared ??= createRuntime(process.env).catch((error: unknown) => {
    shared = undefined;
    throw error;
  });
  return shared;
}
