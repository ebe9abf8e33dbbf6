import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after } from 'node:test';

export interface ReceivedRequest {
  method: string;
  headers: IncomingHttpHeaders;
  body: any;
  /** Date.now() when it arrived. */
  at: number;
}

export interface WebhookAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Decides the answer to one request; undefined means "answer as a well-behaved Event Grid endpoint". */
export type WebhookBehaviour = (request: ReceivedRequest) => WebhookAnswer | undefined;

/** What a cooperative endpoint answers: both validation handshakes, then 200 to every notification. */
export function cooperativeAnswer(request: ReceivedRequest): WebhookAnswer {
  if (request.method === 'OPTIONS') return { status: 200, headers: { 'WebHook-Allowed-Origin': String(request.headers['webhook-request-origin']), Allow: 'POST' } };
  if (request.headers['aeg-event-type'] === 'SubscriptionValidation') return { status: 200, body: { validationResponse: request.body[0].data.validationCode } };
  return { status: 200 };
}

export interface Webhook {
  url: string;
  requests: ReceivedRequest[];
  /** Notifications only (not handshakes). */
  notifications(): ReceivedRequest[];
  /** Replaces how the endpoint answers from now on. */
  behave(behaviour: WebhookBehaviour): void;
  /** Resolves when `count` notifications have arrived in total. */
  waitForNotifications(count: number): Promise<ReceivedRequest[]>;
}

/** A local HTTP listener standing in for the bot's Event Grid endpoint; closed when the test file ends. */
export async function startWebhook(behaviour: WebhookBehaviour = () => undefined): Promise<Webhook> {
  const requests: ReceivedRequest[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let current = behaviour;
  const notifications = () => requests.filter((r) => r.method === 'POST' && r.headers['aeg-event-type'] === 'Notification');
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const request: ReceivedRequest = { method: req.method ?? 'GET', headers: req.headers, body: text ? JSON.parse(text) : undefined, at: Date.now() };
      requests.push(request);
      const answer = current(request) ?? cooperativeAnswer(request);
      res.writeHead(answer.status, { ...(answer.body !== undefined ? { 'content-type': 'application/json' } : {}), ...answer.headers });
      res.end(answer.body !== undefined ? JSON.stringify(answer.body) : undefined);
      for (const waiter of waiters.filter((w) => notifications().length >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => {
    // Clients keep connections alive; close them so the listener stops at once.
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/events`,
    requests,
    notifications,
    behave: (next) => {
      current = next;
    },
    waitForNotifications: (count) =>
      notifications().length >= count ? Promise.resolve(notifications()) : new Promise((resolve) => waiters.push({ count, resolve: () => resolve(notifications()) })),
  };
}
