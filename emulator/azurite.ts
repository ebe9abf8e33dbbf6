/**
 * Azurite, the real local Table/Queue/Blob storage, started from node_modules on free loopback ports: what the
 * demo and the tests use as the bot's storage account.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ensureTlsMaterial } from './tls/certificate.ts';

/** Azurite's fixed development account (documented, not a secret): https://learn.microsoft.com/azure/storage/common/storage-use-azurite */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const SERVICES = ['Blob', 'Queue', 'Table'] as const;
type Service = (typeof SERVICES)[number];

export interface AzuriteOptions {
  /**
   * Azurite's OAuth mode over HTTPS with the emulator's certificate: requests must carry a bearer token for
   * https://storage.azure.com (Azurite decodes it without checking the signature), shared keys still work.
   */
  oauth?: boolean;
}

export interface RunningAzurite {
  /** Service endpoints with the account path, as an identity-based connection names them. */
  blobEndpoint: string;
  queueEndpoint: string;
  tableEndpoint: string;
  /** Development-account connection string naming these exact ports. */
  connectionString: string;
  /** Milliseconds from spawn until all three services listened, for the last (re)start. */
  startupMs: number;
  /** Graceful shutdown (SIGTERM), waiting for the process to exit. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would: in-flight requests die with the process. */
  kill(): Promise<void>;
  /** A fresh Azurite on the same ports. With in-memory persistence everything stored before is gone. */
  restart(): Promise<void>;
}

export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const scheme = options.oauth ? 'https' : 'http';
  const tlsArgs = options.oauth ? await oauthArgs() : [];
  let instance = await launch(scheme, tlsArgs, { Blob: 0, Queue: 0, Table: 0 });
  const ports = instance.ports;
  const endpoint = (service: Service) => `${scheme}://127.0.0.1:${ports[service]}/${AZURITE_ACCOUNT}`;
  const running: RunningAzurite = {
    blobEndpoint: endpoint('Blob'),
    queueEndpoint: endpoint('Queue'),
    tableEndpoint: endpoint('Table'),
    connectionString: [
      `DefaultEndpointsProtocol=${scheme}`,
      `AccountName=${AZURITE_ACCOUNT}`,
      `AccountKey=${AZURITE_ACCOUNT_KEY}`,
      `BlobEndpoint=${endpoint('Blob')}`,
      `QueueEndpoint=${endpoint('Queue')}`,
      `TableEndpoint=${endpoint('Table')}`,
    ].join(';'),
    startupMs: instance.startupMs,
    stop: () => instance.terminate('SIGTERM'),
    kill: () => instance.terminate('SIGKILL'),
    async restart() {
      await instance.terminate('SIGTERM');
      instance = await launch(scheme, tlsArgs, ports);
      running.startupMs = instance.startupMs;
    },
  };
  return running;
}

async function oauthArgs(): Promise<string[]> {
  const tls = await ensureTlsMaterial();
  return ['--oauth', 'basic', '--cert', tls.certPath, '--key', join(dirname(tls.certPath), 'key.pem')];
}

function azuriteEntryPoint(): string {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve('azurite/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bin: Record<string, string> };
  const bin = manifest.bin['azurite'];
  if (!bin) throw new Error(`azurite's package.json (${manifestPath}) has no 'azurite' bin entry`);
  return join(dirname(manifestPath), bin);
}

/**
 * Preloaded into Azurite: its stdin is a pipe from this process, which closes when this process dies however
 * it dies (even SIGKILL, when no exit hook runs); Azurite then exits too instead of lingering on its ports.
 * Unref'd, so the watch alone does not keep Azurite alive after a graceful stop.
 */
const EXIT_WITH_PARENT = `data:text/javascript,${encodeURIComponent("process.stdin.on('end', () => process.exit(0)).resume().unref();")}`;

interface Instance {
  ports: Record<Service, number>;
  startupMs: number;
  terminate(signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

async function launch(scheme: string, extraArgs: string[], ports: Record<Service, number>): Promise<Instance> {
  const startedAt = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...['--import', EXIT_WITH_PARENT],
      azuriteEntryPoint(),
      '--silent',
      '--inMemoryPersistence',
      '--disableTelemetry',
      // Current queue clients send an x-ms-version newer than Azurite 3.35 knows (toolchain-findings §2).
      '--skipApiVersionCheck',
      ...['--blobPort', String(ports.Blob), '--queuePort', String(ports.Queue), '--tablePort', String(ports.Table)],
      ...['--blobHost', '127.0.0.1', '--queueHost', '127.0.0.1', '--tableHost', '127.0.0.1'],
      ...extraArgs,
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  // A process that ends without stopping it (a test without after() hooks, a killed demo) must not leave Azurite behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  exited.then(() => process.off('exit', killOnExit));
  // Azurite alone never keeps this process alive: one left running (a test body that outlived its after() hook)
  // would otherwise hang the process for good; when this process ends, EXIT_WITH_PARENT ends Azurite. Waiting
  // for its start or exit is held open by the timers in waitForPorts and terminate instead.
  for (const handle of [child, child.stdin, child.stdout, child.stderr]) (handle as { unref?: () => void } | null)?.unref?.();

  const listening = await waitForPorts(child, exited, scheme);
  const startupMs = performance.now() - startedAt;
  return {
    ports: listening,
    startupMs,
    async terminate(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Azurite prints `Azurite Table service is successfully listening at http://127.0.0.1:41531` per service, even with --silent. */
function waitForPorts(child: ChildProcess, exited: Promise<void>, scheme: string): Promise<Record<Service, number>> {
  const pattern = new RegExp(`Azurite (${SERVICES.join('|')}) service is successfully listening at ${scheme}://[^:\\s]+:(\\d+)`, 'g');
  let stdout = '';
  let stderr = '';
  let settled = false;
  return new Promise((resolve, reject) => {
    const found: Partial<Record<Service, number>> = {};
    const fail = (reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`Azurite did not start: ${reason}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`));
    };
    const timer = setTimeout(() => fail(`its services were not all listening after ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    // Both pipes stay drained for the life of the process; only start-up output is kept.
    child.stderr?.on('data', (chunk: Buffer) => {
      if (!settled) stderr += chunk.toString();
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      if (settled) return;
      stdout += chunk.toString();
      for (const match of stdout.matchAll(pattern)) found[match[1] as Service] = Number(match[2]);
      if (SERVICES.every((service) => found[service] !== undefined)) {
        settled = true;
        clearTimeout(timer);
        resolve(found as Record<Service, number>);
      }
    });
    exited.then(() => fail(`the process exited with ${child.exitCode ?? child.signalCode}`));
  });
}
