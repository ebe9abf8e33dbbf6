import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { EmulatorHttpError, NotImplementedByEmulator, renderError } from '../server/errors.ts';
import { json, type EmulatorRequest, type EmulatorResponse } from '../server/exchange.ts';
import { graphPath, matchRoute, type Route, type RouteContext } from '../server/route.ts';
import { canonicalPath } from '../state/ids.ts';
import { versionOf } from './odata.ts';

/**
 * POST /$batch (JSON batching): up to 20 requests, each run through the Graph routes exactly as if
 * sent alone (same caller, same permission checks, the core's interceptors so faults and throttling
 * apply per item), in dependsOn order; an item whose dependency failed answers 424.
 */

const MAX_REQUESTS = 20;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

const BatchItem = z.object({
  id: z.string().min(1),
  method: z.string().min(1),
  url: z.string().min(1),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.unknown().optional(),
  dependsOn: z.array(z.string()).optional(),
});
type BatchItem = z.infer<typeof BatchItem>;

const BatchBody = z.object({ requests: z.array(BatchItem) });

interface ItemResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

const badBatch = (message: string) => new EmulatorHttpError(400, 'BadRequest', message);

/** The whole batch is refused (400) when it is malformed; otherwise every item gets its own status. */
function validBatch(body: unknown): { items: BatchItem[]; executionOrder: BatchItem[] } {
  const parsed = BatchBody.safeParse(body);
  if (!parsed.success) {
    throw badBatch(`Invalid batch payload: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'} ${issue.message}`).join('; ')}.`);
  }
  const items = parsed.data.requests;
  if (items.length === 0) throw badBatch('The batch contains no requests.');
  if (items.length > MAX_REQUESTS) throw badBatch(`The batch contains ${items.length} requests; at most ${MAX_REQUESTS} are allowed.`);
  const ids = new Set<string>();
  for (const item of items) {
    const key = item.id.toLowerCase();
    if (ids.has(key)) throw badBatch(`The batch contains more than one request with id '${item.id}'; request ids must be unique.`);
    ids.add(key);
    if (!(METHODS as readonly string[]).includes(item.method.toUpperCase())) throw badBatch(`Request '${item.id}' has an unsupported method '${item.method}'.`);
    if (/^[a-z][a-z0-9+.-]*:/i.test(item.url)) throw badBatch(`Request '${item.id}' has an absolute url; batch urls are relative, like '/servicePrincipals'.`);
    if (item.body !== undefined && !Object.keys(item.headers ?? {}).some((name) => name.toLowerCase() === 'content-type')) {
      throw badBatch(`Request '${item.id}' has a body but no Content-Type header.`);
    }
  }
  for (const item of items) {
    for (const dependency of item.dependsOn ?? []) {
      if (!ids.has(dependency.toLowerCase())) throw badBatch(`Request '${item.id}' depends on '${dependency}', which is not in the batch.`);
    }
  }
  return { items, executionOrder: executionOrder(items) };
}

/** Dependencies first; a cycle makes the batch malformed. */
function executionOrder(items: BatchItem[]): BatchItem[] {
  const byKey = new Map(items.map((item) => [item.id.toLowerCase(), item]));
  const ordered: BatchItem[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (item: BatchItem) => {
    const key = item.id.toLowerCase();
    if (state.get(key) === 'done') return;
    if (state.get(key) === 'visiting') throw badBatch(`The dependsOn chain through request '${item.id}' is circular.`);
    state.set(key, 'visiting');
    for (const dependency of item.dependsOn ?? []) visit(byKey.get(dependency.toLowerCase())!);
    state.set(key, 'done');
    ordered.push(item);
  };
  items.forEach(visit);
  return ordered;
}

/** The item as a request of its own: its url under the batch's version unless it names one. */
function itemRequest(item: BatchItem, batch: EmulatorRequest, version: string, now: Date): EmulatorRequest {
  const queryStart = item.url.indexOf('?');
  const relative = queryStart >= 0 ? item.url.slice(0, queryStart) : item.url;
  const withSlash = relative.startsWith('/') ? relative : `/${relative}`;
  const path = canonicalPath(/^\/(v1\.0|beta)(\/|$)/i.test(withSlash) ? withSlash : `/${version}${withSlash}`);
  const headers = { ...batch.headers };
  delete headers['content-type'];
  delete headers['content-length'];
  for (const [name, value] of Object.entries(item.headers ?? {})) headers[name.toLowerCase()] = value;
  return {
    method: item.method.toUpperCase(),
    path,
    query: new URLSearchParams(queryStart >= 0 ? item.url.slice(queryStart + 1) : ''),
    headers,
    body: item.body,
    rawBody: item.body === undefined ? '' : JSON.stringify(item.body),
    service: 'graph',
    requestId: randomUUID(),
    receivedAt: now,
    baseUrl: batch.baseUrl,
  };
}

/** What the dispatcher does for a request, minus authentication: the batch's caller is the item's caller. */
async function dispatch(req: EmulatorRequest, ctx: RouteContext, routes: readonly Route[]): Promise<{ response: EmulatorResponse; route: Route | undefined }> {
  const matched = matchRoute(routes, req.method, req.path);
  try {
    for (const interceptor of ctx.core.interceptors) {
      const intercepted = await interceptor(req, matched?.route);
      // A batch item has no connection of its own to drop: the gateway answers for it instead.
      if (intercepted?.kind === 'drop') throw new EmulatorHttpError(504, 'GatewayTimeout', 'The request timed out (injected fault: connection dropped).');
      if (intercepted) return { response: intercepted.response, route: matched?.route };
    }
    if (!matched) throw new NotImplementedByEmulator(`${req.method} ${req.path} inside a $batch`);
    return { response: await matched.route.handle(req, { core: ctx.core, caller: ctx.caller, params: matched.params }), route: matched.route };
  } catch (error) {
    if (error instanceof EmulatorHttpError) return { response: renderError(error, req), route: matched?.route };
    // As the dispatcher does for a whole request: say so in this item, keep the rest of the batch.
    console.error('[emulator] batch item failed:', error);
    const failure = new EmulatorHttpError(500, 'InternalServerError', `The emulator failed: ${error instanceof Error ? error.message : String(error)}`);
    return { response: renderError(failure, req), route: matched?.route };
  }
}

function asItemResponse(id: string, response: EmulatorResponse): ItemResponse {
  const headers: Record<string, string> = { 'Cache-Control': 'no-cache', ...(response.headers ?? {}) };
  if (response.body === undefined) return { id, status: response.status, headers };
  headers['Content-Type'] = 'application/json; charset=utf-8';
  return { id, status: response.status, headers, body: response.body };
}

const succeeded = (status: number) => status >= 200 && status < 300;

export function batchRoute(routes: readonly Route[]): Route {
  return {
    name: 'graph.batch',
    method: 'POST',
    service: 'graph',
    pattern: graphPath('/$batch'),
    async handle(req, ctx) {
      const { items, executionOrder: order } = validBatch(req.body);
      const version = versionOf(ctx.params);
      const statuses = new Map<string, number>();
      const responses = new Map<string, ItemResponse>();
      for (const item of order) {
        const itemReq = itemRequest(item, req, version, ctx.core.clock.now());
        const failed = (item.dependsOn ?? []).find((dependency) => !succeeded(statuses.get(dependency.toLowerCase())!));
        const { response, route } = failed
          ? { response: renderError(new EmulatorHttpError(424, 'FailedDependency', `The request this one depends on ('${failed}') failed.`), itemReq), route: undefined }
          : await dispatch(itemReq, ctx, routes);
        statuses.set(item.id.toLowerCase(), response.status);
        responses.set(item.id, asItemResponse(item.id, response));
        ctx.core.requests.record({
          at: itemReq.receivedAt,
          method: itemReq.method,
          path: itemReq.path,
          route: route?.name ?? 'unmatched.graph',
          status: response.status,
          principalId: ctx.caller?.principalId,
          requestId: itemReq.requestId,
        });
      }
      // Graph promises no order; answering in request order keeps logs readable.
      return json(200, { responses: items.map((item) => responses.get(item.id)!) });
    },
  };
}
