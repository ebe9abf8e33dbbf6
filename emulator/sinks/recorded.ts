import { header, type EmulatorRequest } from '../server/exchange.ts';

/**
 * A request a sink accepted (authenticated, valid, answered 2xx), kept verbatim for exact payload assertions.
 * Credentials are never kept: no Authorization header, no token.
 */
export interface RecordedRequest {
  /** The route's stable name, e.g. `github.issues.create`. */
  route: string;
  method: string;
  path: string;
  query: Record<string, string>;
  /** The headers that say what the client meant to send; Authorization is deliberately absent. */
  headers: { accept?: string; contentType?: string; userAgent?: string; apiVersion?: string };
  /** The parsed JSON body as sent (undefined for GETs). */
  body: unknown;
  /** Emulator clock when the request arrived. */
  receivedAt: string;
  requestId: string;
}

export function recordOf(route: string, req: EmulatorRequest): RecordedRequest {
  const present = <T extends Record<string, string | undefined>>(values: T) =>
    Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as { [K in keyof T]?: string };
  return {
    route,
    method: req.method,
    path: req.path,
    query: Object.fromEntries(req.query),
    headers: present({
      accept: header(req, 'accept'),
      contentType: header(req, 'content-type'),
      userAgent: header(req, 'user-agent'),
      apiVersion: header(req, 'x-github-api-version'),
    }),
    body: req.body,
    receivedAt: req.receivedAt.toISOString(),
    requestId: req.requestId,
  };
}
