import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { EmulatorCore } from '../core.ts';
import { authenticate } from '../identity/authenticate.ts';
import { canonicalPath } from '../state/ids.ts';
import { EmulatorHttpError, renderError } from './errors.ts';
import type { EmulatorRequest, EmulatorResponse, Service } from './exchange.ts';
import { matchRoute, type Caller, type Route } from './route.ts';

const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** The services whose requests wait the configured latency (`core.latencyMs`); Resource Graph is served as ARM. */
export const DELAYED_SERVICES: ReadonlySet<Service> = new Set(['arm', 'graph']);

/** Which emulated service a path belongs to (exported for the benchmarks, which subtract the latency injected into requests). */
export function serviceOf(canonical: string): Service {
  if (/^\/_emulator(\/|$)/i.test(canonical)) return 'control';
  if (/^\/(metadata\/identity\/oauth2\/token|msi\/token)$/i.test(canonical)) return 'token';
  if (/^\/(v1\.0|beta)(\/|$)/i.test(canonical)) return 'graph';
  // The sinks for services outside Azure the bot talks to (emulator/sinks).
  if (/^\/github(\/|$)/i.test(canonical)) return 'github';
  if (/^\/devops(\/|$)/i.test(canonical)) return 'devops';
  return 'arm';
}

/** The one HTTPS listener all emulated services share, with a port-0-safe address. */
export class EmulatorServer {
  private readonly server: Server;
  private baseUrlValue: string | undefined;

  constructor(
    private readonly core: EmulatorCore,
    private readonly routes: readonly Route[],
    tls: { cert: string; key: string },
  ) {
    this.server = createServer({ cert: tls.cert, key: tls.key, keepAlive: true }, (req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        console.error('[emulator] unhandled failure while answering', req.method, req.url, error);
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    this.baseUrlValue = `https://${host}:${address.port}`;
    return this.baseUrlValue;
  }

  get baseUrl(): string {
    if (!this.baseUrlValue) throw new Error('emulator server is not listening');
    return this.baseUrlValue;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(incoming: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = incoming.url ?? '/';
    const queryStart = rawUrl.indexOf('?');
    // Never `new URL(rawUrl, base)`: `//subscriptions/...` would read as a host name.
    const canonical = canonicalPath(queryStart >= 0 ? rawUrl.slice(0, queryStart) : rawUrl);
    const rawBody = await readBody(incoming);
    const req: EmulatorRequest = {
      method: (incoming.method ?? 'GET').toUpperCase(),
      path: canonical,
      query: new URLSearchParams(queryStart >= 0 ? rawUrl.slice(queryStart + 1) : ''),
      headers: incoming.headers,
      body: undefined,
      rawBody,
      service: serviceOf(canonical),
      requestId: randomUUID(),
      receivedAt: this.core.clock.now(),
      baseUrl: this.baseUrl,
    };
    const matched = matchRoute(this.routes, req.method, canonical);
    let caller: Caller | undefined;
    let response: EmulatorResponse;
    try {
      for (const interceptor of this.core.interceptors) {
        const intercepted = await interceptor(req, matched?.route);
        if (intercepted?.kind === 'drop') {
          this.log(req, matched?.route, 0, undefined);
          incoming.socket.destroy();
          return;
        }
        if (intercepted) {
          this.send(res, req, intercepted.response);
          this.log(req, matched?.route, intercepted.response.status, undefined);
          return;
        }
      }
      if (DELAYED_SERVICES.has(req.service) && this.core.latencyMs > 0) {
        await new Promise((resolve) => setTimeout(resolve, this.core.latencyMs));
      }
      if (!matched) throw new EmulatorHttpError(501, 'NotImplementedByEmulator', `The idwarden emulator does not implement ${req.method} ${canonical}.`);
      req.body = parseBody(rawBody, incoming.headers['content-type']);
      checkApiVersion(req, matched.route);
      if (!matched.route.anonymous) caller = authenticate(req, this.core.tokens, this.core.tenant.tenantId);
      response = await matched.route.handle(req, { core: this.core, caller, params: matched.params });
    } catch (error) {
      response = renderError(asHttpError(error), req);
    }
    this.send(res, req, response);
    this.log(req, matched?.route, response.status, caller);
  }

  private send(res: ServerResponse, req: EmulatorRequest, response: EmulatorResponse): void {
    const headers: Record<string, string> = { ...correlationHeaders(req), ...req.addedResponseHeaders, ...(response.headers ?? {}) };
    let payload = '';
    if (response.body !== undefined) {
      payload = typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
      headers['content-type'] ??= typeof response.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
    }
    headers['content-length'] = String(Buffer.byteLength(payload));
    res.writeHead(response.status, headers);
    res.end(payload);
  }

  private log(req: EmulatorRequest, route: Route | undefined, status: number, caller: Caller | undefined): void {
    this.core.requests.record({
      at: req.receivedAt,
      method: req.method,
      path: req.path,
      route: route?.name ?? `unmatched.${req.service}`,
      status,
      principalId: caller?.principalId,
      requestId: req.requestId,
    });
  }
}

function correlationHeaders(req: EmulatorRequest): Record<string, string> {
  const clientRequestId = req.headers['x-ms-client-request-id'] ?? req.headers['client-request-id'];
  if (req.service === 'graph') {
    return { 'request-id': req.requestId, 'client-request-id': typeof clientRequestId === 'string' ? clientRequestId : req.requestId };
  }
  if (req.service === 'github') return { 'x-github-request-id': req.requestId };
  // Azure DevOps names its request id ActivityId (what its errors ask support tickets to quote).
  if (req.service === 'devops') return { activityid: req.requestId, 'x-vss-e2eid': req.requestId };
  const correlation = req.headers['x-ms-correlation-request-id'];
  return {
    'x-ms-request-id': req.requestId,
    'x-ms-correlation-request-id': typeof correlation === 'string' ? correlation : req.requestId,
    ...(typeof clientRequestId === 'string' ? { 'x-ms-client-request-id': clientRequestId } : {}),
  };
}

function checkApiVersion(req: EmulatorRequest, route: Route): void {
  if (!route.apiVersions) return;
  const version = req.query.get('api-version');
  if (!version) {
    throw new EmulatorHttpError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
  }
  if (!route.apiVersions.includes(version)) {
    throw new EmulatorHttpError(
      400,
      'InvalidApiVersionParameter',
      `The api-version '${version}' is invalid. The supported versions by the idwarden emulator for this operation are '${route.apiVersions.join("','")}'.`,
    );
  }
}

function parseBody(raw: string, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  if (contentType && !/json/i.test(contentType) && !/^\s*[[{]/.test(raw)) return raw;
  try {
    return JSON.parse(raw);
  } catch {
    throw new EmulatorHttpError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.');
  }
}

function asHttpError(error: unknown): EmulatorHttpError {
  if (error instanceof EmulatorHttpError) return error;
  console.error('[emulator] route failed:', error);
  return new EmulatorHttpError(500, 'InternalServerError', `The emulator failed: ${error instanceof Error ? error.message : String(error)}`);
}

async function readBody(incoming: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
