import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { canonicalPath } from '../emulator/state/ids.ts';
import { DELAYED_SERVICES, serviceOf } from '../emulator/server/server.ts';

/**
 * How much of one piece of work's wall time was the emulator's injected latency on its critical path. Each request
 * the work sends to the emulator (seen through Node's HTTP client and fetch diagnostics channels, within the work's
 * async context) and that the emulator delays (ARM, Resource Graph, Graph; not tokens) waits `latencyMs` after it is
 * sent. Requests in flight together wait together: the injected time is the length of the union of the
 * [sent, sent + latencyMs] windows, so calls made in parallel count once and calls made one after another each count.
 */
export class InjectedLatency {
  private readonly sent = new AsyncLocalStorage<number[]>();

  constructor(
    private readonly emulatorOrigin: string,
    private readonly latencyMs: number,
  ) {
    subscribe('http.client.request.start', (message) => {
      const { request } = message as { request: ClientRequest };
      this.note(`${request.protocol}//${String(request.getHeader('host'))}`, request.path);
    });
    // fetch (the Graph client) is undici's.
    subscribe('undici:request:create', (message) => {
      const { request } = message as { request: { origin: string; path: string } };
      this.note(request.origin, request.path);
    });
  }

  async measure<T>(work: () => Promise<T>): Promise<{ result: T; injectedMs: number }> {
    const sent: number[] = [];
    const result = await this.sent.run(sent, work);
    return { result, injectedMs: this.unionOfWindows(sent) };
  }

  private note(origin: string, path: string): void {
    const sent = this.sent.getStore();
    if (!sent || new URL(origin).origin !== this.emulatorOrigin) return;
    const pathOnly = path.split('?')[0] ?? path;
    if (DELAYED_SERVICES.has(serviceOf(canonicalPath(pathOnly)))) sent.push(performance.now());
  }

  private unionOfWindows(sent: number[]): number {
    let total = 0;
    let coveredUntil = -Infinity;
    for (const at of sent.sort((a, b) => a - b)) {
      const end = at + this.latencyMs;
      if (end > coveredUntil) total += end - Math.max(at, coveredUntil);
      coveredUntil = Math.max(coveredUntil, end);
    }
    return total;
  }
}
