import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import diagnosticsChannel from 'node:diagnostics_channel';
import { after } from 'node:test';
import { ensureTlsMaterial } from '../../emulator/tls/certificate.ts';

/**
 * Two ways of seeing the bot call somewhere it should not:
 *
 * - a canary: a second HTTPS listener on loopback (another port, the emulator's certificate, so a client that goes
 *   there gets as far as sending its request) that records every connection and request, and whether the request
 *   carried a bearer token;
 * - an outbound watch: every HTTP request this process starts, whichever client library (node:http(s) for the ARM
 *   and storage SDKs, undici `fetch` for the Graph client, tickets and Teams), by origin, from Node's diagnostics
 *   channels. It sees requests to hosts that do not resolve (`evil.example`) too, which no listener could.
 */

export interface CanaryHit {
  method: string;
  path: string;
  /** Whether an Authorization header came along: a token that left for the wrong host. */
  authorization: boolean;
}

export interface Canary {
  /** `https://127.0.0.1:<port>`: same host as the emulator, another port. */
  url: string;
  /** `https://localhost:<port>`: another host name for the same listener. */
  localhostUrl: string;
  port: number;
  hits: CanaryHit[];
  /** TCP connections accepted, whether or not a request followed (a TLS name mismatch stops it before one). */
  connections(): number;
}

export async function startCanary(): Promise<Canary> {
  const tls = await ensureTlsMaterial();
  const hits: CanaryHit[] = [];
  let connections = 0;
  const server: Server = createServer({ cert: tls.cert, key: tls.key }, (request, response) => {
    hits.push({ method: request.method ?? '?', path: request.url ?? '?', authorization: request.headers.authorization !== undefined });
    // A plausible page, so a client that got here would go on as if nothing were wrong.
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: [], data: [], count: 0, totalRecords: 0 }));
  });
  server.on('connection', (_socket: Socket) => void (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  server.unref();
  return { url: `https://127.0.0.1:${port}`, localhostUrl: `https://localhost:${port}`, port, hits, connections: () => connections };
}

export interface OutboundRequest {
  origin: string;
  path: string;
}

export interface OutboundWatch {
  readonly requests: OutboundRequest[];
  /** Requests whose origin is none of `allowed`. */
  outside(allowed: readonly string[]): OutboundRequest[];
  stop(): void;
}

interface HttpClientRequestLike {
  protocol?: string;
  host?: string;
  path?: string;
  getHeader?(name: string): unknown;
}

interface UndiciRequestLike {
  origin?: string;
  path?: string;
}

/** Records every outbound HTTP request from now until stop(). */
export function watchOutbound(): OutboundWatch {
  const requests: OutboundRequest[] = [];
  const fromHttp = (message: unknown) => {
    const request = (message as { request: HttpClientRequestLike }).request;
    const host = String(request.getHeader?.('host') ?? request.host ?? '?');
    requests.push({ origin: `${request.protocol ?? 'http:'}//${host}`, path: request.path ?? '' });
  };
  const fromUndici = (message: unknown) => {
    const request = (message as { request: UndiciRequestLike }).request;
    requests.push({ origin: String(request.origin ?? '?'), path: request.path ?? '' });
  };
  diagnosticsChannel.subscribe('http.client.request.start', fromHttp);
  diagnosticsChannel.subscribe('undici:request:create', fromUndici);
  return {
    requests,
    outside: (allowed) => {
      const origins = new Set(allowed.map((origin) => new URL(origin).origin));
      return requests.filter((request) => !origins.has(originOf(request.origin)));
    },
    stop() {
      diagnosticsChannel.unsubscribe('http.client.request.start', fromHttp);
      diagnosticsChannel.unsubscribe('undici:request:create', fromUndici);
    },
  };
}

/** `https://127.0.0.1:443` and `https://127.0.0.1` are one origin; an unparseable one stays as it is (and is outside). */
function originOf(value: string): string {
  try {
    return new URL(value).origin;
  } catch {
    return value;
  }
}
