import { fork, type ChildProcess } from 'node:child_process';
import { after } from 'node:test';
import { z } from 'zod';
import type { RunningEmulator } from '../../emulator/index.ts';
import type { ArmOperation } from '../../emulator/arm/operations.ts';
import type { Interceptor } from '../../emulator/faults/faults.ts';
import type { AlertOutcome } from '../../src/actions/notify/dispatcher.ts';

/** Work for a bot process (test/support/bot-process.ts). */
export const WorkerRequest = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('drain-scan-queue'), id: z.number() }),
  z.object({ kind: z.literal('deliver-events'), id: z.number(), body: z.unknown(), headers: z.record(z.string(), z.string()) }),
]);
export type WorkerRequest = z.infer<typeof WorkerRequest>;

export type WorkerMessage =
  | { kind: 'ready' }
  | { kind: 'alerts'; runId: string; outcomes: AlertOutcome[] }
  | { kind: 'done'; id: number; lines: string[]; status?: number }
  | { kind: 'failed'; id: number; error: string };

/** The work was in a process that was killed before it answered. */
export class WorkerKilled extends Error {
  override readonly name = 'WorkerKilled';
}

interface Pending {
  resolve(message: Extract<WorkerMessage, { kind: 'done' }>): void;
  reject(error: Error): void;
}

interface Worker {
  child: ChildProcess;
  exited: Promise<void>;
}

const ENTRY = new URL('./bot-process.ts', import.meta.url);
const START_LIMIT_MS = 30_000;

/**
 * The Functions host's side of the bot's processes: starts a worker (bot-process.ts) when there is work and none is
 * alive, as the host starts a fresh worker after one died, and hands it the work. The environment is this test
 * process's (the harness put the emulator's, Azurite's and the policy's settings in it), so a worker uses the same
 * tables and queue as the harness's in-process runtime, which the test reads state through.
 */
export class BotWorkers {
  /** How far the clocks of the workers started from now on run ahead of real time (workers that start "later"). */
  clockOffsetMs = 0;
  /** Workers started so far. */
  started = 0;
  private current: Worker | undefined;
  private starting: Promise<Worker> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(private readonly onAlerts: (runId: string, outcomes: AlertOutcome[]) => void) {
    after(() => this.stop());
  }

  /** The scan-request queue worked off by the bot's queue function until it is empty (lines it logged). */
  async drainScanQueue(): Promise<string[]> {
    return (await this.request({ kind: 'drain-scan-queue' })).lines;
  }

  /** One Event Grid delivery to the bot's webhook function: its HTTP status; throws WorkerKilled when the worker died on it. */
  async deliverEvents(body: unknown, headers: Record<string, string>, lines: string[] = []): Promise<number> {
    const done = await this.request({ kind: 'deliver-events', body, headers });
    lines.push(...done.lines);
    return done.status!;
  }

  /** Starts a worker unless one is running (work starts one anyway; this fixes which clock the first one has). */
  async ready(): Promise<void> {
    await this.worker();
  }

  /** SIGKILL to the running worker, now: no clean-up, no reply; what it was doing is left as it was. */
  kill(): Promise<void> {
    const worker = this.current;
    if (!worker) throw new Error('no bot worker is running');
    worker.child.kill('SIGKILL');
    return worker.exited;
  }

  get alive(): boolean {
    return this.current !== undefined;
  }

  async stop(): Promise<void> {
    if (this.current) await this.kill();
  }

  private async request(work: { kind: 'drain-scan-queue' } | { kind: 'deliver-events'; body: unknown; headers: Record<string, string> }) {
    const worker = await this.worker();
    const id = this.nextId++;
    const reply = new Promise<Extract<WorkerMessage, { kind: 'done' }>>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    worker.child.send({ ...work, id } satisfies WorkerRequest);
    return reply;
  }

  private worker(): Promise<Worker> {
    if (this.current) return Promise.resolve(this.current);
    this.starting ??= this.start().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private start(): Promise<Worker> {
    const child = fork(ENTRY, [String(this.clockOffsetMs)], { execArgv: ['--import', 'tsx', '--disable-warning=DEP0040'], env: process.env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.started += 1;
    const exited = new Promise<void>((resolve) =>
      child.once('exit', (code, signal) => {
        if (this.current?.child === child) this.current = undefined;
        for (const [id, pending] of this.pending) {
          pending.reject(new WorkerKilled(`the bot process ended (${signal ?? code}) before it answered`));
          this.pending.delete(id);
        }
        resolve();
      }),
    );
    child.on('message', (raw) => {
      const message = raw as WorkerMessage;
      if (message.kind === 'alerts') this.onAlerts(message.runId, message.outcomes);
      if (message.kind !== 'done' && message.kind !== 'failed') return;
      const pending = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.kind === 'done') pending?.resolve(message);
      else pending?.reject(new Error(`the bot process failed: ${message.error}`));
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the bot process did not start within ${START_LIMIT_MS} ms`)), START_LIMIT_MS);
      child.once('message', () => {
        clearTimeout(timer);
        this.current = { child, exited };
        resolve(this.current);
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error('the bot process ended while starting'));
      });
    });
  }
}

/**
 * Kills the bot worker when the emulator receives the first request `matches` accepts, before the request is
 * carried out, and drops that request: Azure never sees it. Resolves with the request's path once it happened.
 */
export function killOnRequest(emulator: RunningEmulator, workers: BotWorkers, matches: (request: { method: string; path: string; route: string | undefined }) => boolean): Promise<string> {
  const { interceptors } = emulator.core;
  return new Promise((resolve) => {
    const kill: Interceptor = async (req, route) => {
      if (!matches({ method: req.method, path: req.path, route: route?.name })) return undefined;
      interceptors.splice(interceptors.indexOf(kill), 1);
      await workers.kill();
      resolve(req.path);
      return { kind: 'drop' };
    };
    interceptors.push(kill);
  });
}

/**
 * Kills the bot worker the moment the emulator has carried out an ARM operation `matches` accepts, before its
 * answer is sent: Azure did it, the bot never hears of it. Resolves with the operation.
 */
export function killAfterOperation(emulator: RunningEmulator, workers: BotWorkers, matches: (operation: ArmOperation) => boolean): Promise<ArmOperation> {
  return new Promise((resolve) => {
    const stop = emulator.core.armOperations.subscribe((operation) => {
      if (!matches(operation)) return;
      stop();
      // Synchronous, inside the route: the signal is sent before the route's answer is written.
      void workers.kill().then(() => resolve(operation));
    });
  });
}
