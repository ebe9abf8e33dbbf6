import type { z } from 'zod';
import { TicketError, type TicketService } from './errors.ts';

/**
 * The one way the ticket trackers reach their service: `fetch` pinned to the configured base URL (every request,
 * including the `Link` and `url` addresses the service hands back, must stay under it, so the token never leaves for
 * another host), redirects refused, bodies checked with zod, failures typed, and throttling honoured with a bounded
 * retry. Nothing here logs; errors never carry headers, so the token cannot leak through them.
 */

export interface RetryLimits {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** The longest single wait the bot accepts; a service asking for more fails the call (the next run tries again). */
  maxWaitMs: number;
  /** First backoff for transient failures of reads, doubled per retry. */
  baseDelayMs: number;
}

export const TICKET_RETRY: RetryLimits = { maxRetries: 3, maxWaitMs: 60_000, baseDelayMs: 1_000 };

/** How one service says what went wrong and when it is throttling. */
export interface ServiceDialect {
  service: TicketService;
  /** The request id a response carries. */
  requestId(headers: Headers): string | undefined;
  /** A failed response's stable code and message. */
  describe(status: number, body: unknown): { code: string; message: string };
  /** Milliseconds the service asks the bot to wait before trying again, or undefined when this is not throttling. */
  throttleDelayMs(status: number, headers: Headers, body: unknown, nowMs: number): number | undefined;
}

export interface TicketHttpOptions {
  baseUrl: string;
  dialect: ServiceDialect;
  /** The Authorization header's value, asked for on every request (tokens expire; credentials cache). */
  authorization(): Promise<string>;
  headers: Record<string, string>;
  retry?: Partial<RetryLimits>;
  /** Injected by tests to observe waits without waiting. */
  sleep?: (milliseconds: number) => Promise<void>;
  fetch?: typeof fetch;
  now?: () => number;
}

export interface RequestOptions<T> {
  operation: string;
  method: 'GET' | 'POST' | 'PATCH';
  /** A path under the base URL (`/repos/...`) or an absolute URL the service handed back. */
  target: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
  schema: z.ZodType<T>;
}

export interface TicketResponse<T> {
  body: T;
  headers: Headers;
}

/** An https base URL without query, fragment or credentials; refused otherwise, so a typo never sends a token in clear. */
export function parseBaseUrl(value: string, service: TicketService, variable: string): URL {
  const refuse = (why: string) => new TicketError({ service, operation: 'configure', statusCode: undefined, code: 'InvalidConfiguration', requestId: undefined }, `${variable} ${why}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw refuse(`'${value}' is not a URL`);
  }
  if (url.protocol !== 'https:') throw refuse(`'${value}' must use https: the token is only sent over TLS`);
  if (url.search || url.hash || url.username || url.password) throw refuse(`'${value}' must be a base URL without query, fragment or credentials`);
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

const sleepFor = (milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds));

export class TicketHttp {
  private readonly base: URL;
  private readonly limits: RetryLimits;
  private readonly sleep: (milliseconds: number) => Promise<void>;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;

  constructor(private readonly options: TicketHttpOptions) {
    this.base = parseBaseUrl(options.baseUrl, options.dialect.service, 'base URL');
    this.limits = { ...TICKET_RETRY, ...options.retry };
    this.sleep = options.sleep ?? sleepFor;
    this.fetchImpl = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
  }

  /** The base URL as configured (no trailing slash). */
  get baseUrl(): string {
    return this.base.href.replace(/\/$/, '');
  }

  async request<T>(request: RequestOptions<T>): Promise<TicketResponse<T>> {
    const url = this.pinned(request);
    for (let retries = 0; ; retries += 1) {
      const response = await this.send(request, url, retries);
      if (response === undefined) {
        await this.sleep(this.backoffMs(retries));
        continue;
      }
      const body = await readJson(response);
      // 203 is no API's answer: it is Azure DevOps serving a sign-in page for a token it refused.
      if (response.status >= 200 && response.status < 300 && response.status !== 203) return { body: this.validated(request, response, body), headers: response.headers };
      const wait = this.options.dialect.throttleDelayMs(response.status, response.headers, body, this.now());
      if (wait !== undefined && retries < this.limits.maxRetries && wait <= this.limits.maxWaitMs) {
        await this.sleep(wait);
        continue;
      }
      if (wait === undefined && request.method === 'GET' && isTransient(response.status) && retries < this.limits.maxRetries) {
        await this.sleep(this.backoffMs(retries));
        continue;
      }
      throw this.failure(request, response, body, wait);
    }
  }

  /** One attempt; undefined when a read failed on the network and may be retried. */
  private async send(request: RequestOptions<unknown>, url: URL, retries: number): Promise<Response | undefined> {
    let authorization: string;
    try {
      authorization = await this.options.authorization();
    } catch (error) {
      // A credential that cannot produce a token (TokenUnavailableError ...): named by its class.
      const code = error instanceof Error && error.name !== 'Error' ? error.name : 'CredentialFailed';
      throw new TicketError(this.fields(request, undefined, code, undefined), `no token: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    try {
      return await this.fetchImpl(url, {
        method: request.method,
        headers: {
          ...this.options.headers,
          authorization,
          ...(request.body !== undefined ? { 'content-type': request.contentType ?? 'application/json' } : {}),
        },
        ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
        // A redirect could carry the token elsewhere; the configured base URL is the only place it goes.
        redirect: 'manual',
      });
    } catch (error) {
      // A write may have landed before the connection broke: never repeat it blindly (the next run's find dedupes).
      if (request.method === 'GET' && retries < this.limits.maxRetries) return undefined;
      throw new TicketError(this.fields(request, undefined, 'NetworkError', undefined), error instanceof Error ? error.message : String(error), { cause: error });
    }
  }

  /** The request URL, refused unless it lies under the configured base URL (same origin, same path prefix). */
  private pinned(request: RequestOptions<unknown>): URL {
    const absolute = /^[a-z][a-z0-9+.-]*:/i.test(request.target);
    let url: URL;
    try {
      url = new URL(absolute ? request.target : `${this.baseUrl}${request.target.startsWith('/') ? '' : '/'}${request.target}`);
    } catch {
      throw new TicketError(this.fields(request, undefined, 'HostNotAllowed', undefined), `'${request.target}' is not a URL`);
    }
    const prefix = this.base.pathname === '/' ? '/' : `${this.base.pathname}/`;
    if (url.origin !== this.base.origin || !(url.pathname === this.base.pathname || url.pathname.startsWith(prefix)) || url.username || url.password) {
      throw new TicketError(
        this.fields(request, undefined, 'HostNotAllowed', undefined),
        `refusing to send a request to ${url.origin}${url.pathname}: only ${this.baseUrl} is configured`,
      );
    }
    for (const [name, value] of Object.entries(request.query ?? {})) if (value !== undefined) url.searchParams.set(name, value);
    return url;
  }

  private validated<T>(request: RequestOptions<T>, response: Response, body: unknown): T {
    const parsed = request.schema.safeParse(body);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0]!;
    throw new TicketError(
      this.fields(request, response.status, 'InvalidResponse', response.headers),
      `the answer is not what the API documents: ${issue.path.join('.') || '(body)'} ${issue.message}`,
    );
  }

  private failure(request: RequestOptions<unknown>, response: Response, body: unknown, wait: number | undefined): TicketError {
    if (response.status >= 300 && response.status < 400) {
      return new TicketError(this.fields(request, response.status, 'Redirected', response.headers), `the service redirected to ${response.headers.get('location') ?? 'elsewhere'}; redirects are not followed`);
    }
    const { code, message } = this.options.dialect.describe(response.status, body);
    const detail = wait !== undefined ? `${message} (asked to wait ${Math.ceil(wait / 1000)} s${wait > this.limits.maxWaitMs ? ', longer than the bot waits' : ', retries exhausted'})` : message;
    return new TicketError({ ...this.fields(request, response.status, code, response.headers), retryAfterMs: wait }, detail);
  }

  private fields(request: RequestOptions<unknown>, statusCode: number | undefined, code: string, headers: Headers | undefined) {
    return { service: this.options.dialect.service, operation: request.operation, statusCode, code, requestId: headers ? this.options.dialect.requestId(headers) : undefined };
  }

  private backoffMs(retries: number): number {
    return Math.min(this.limits.maxWaitMs, this.limits.baseDelayMs * 2 ** retries);
  }
}

const isTransient = (status: number) => status === 408 || status === 502 || status === 503 || status === 504;

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** `Retry-After` in seconds or as an HTTP date, in milliseconds from now; undefined when absent or unreadable. */
export function retryAfterMs(headers: Headers, nowMs: number): number | undefined {
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - nowMs) : undefined;
}
