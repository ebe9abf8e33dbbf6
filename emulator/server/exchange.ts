import type { IncomingHttpHeaders } from 'node:http';

/** Which Azure surface a request belongs to; decides the error body shape and the token audience. */
export type Service = 'arm' | 'graph' | 'token' | 'control' | 'github' | 'devops';

/** One parsed request, as the routes see it. */
export interface EmulatorRequest {
  method: string;
  /** Path with repeated slashes collapsed and no trailing slash (the SDKs send `//subscriptions/...`). */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, or undefined when there is none. */
  body: unknown;
  rawBody: string;
  service: Service;
  requestId: string;
  /** The emulator clock when the request arrived. */
  receivedAt: Date;
  /** Base URL of the emulator as the client reached it, for absolute next links. */
  baseUrl: string;
  /** Headers an interceptor adds to whatever answer this request gets (throttling's remaining-quota headers). */
  addedResponseHeaders?: Record<string, string>;
}

export interface EmulatorResponse {
  status: number;
  headers?: Record<string, string>;
  /** Serialised as JSON unless it is a string. */
  body?: unknown;
}

export const json = (status: number, body?: unknown, headers?: Record<string, string>): EmulatorResponse => ({
  status,
  body,
  ...(headers ? { headers } : {}),
});

export function header(req: EmulatorRequest, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
