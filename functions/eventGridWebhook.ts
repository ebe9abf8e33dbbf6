import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { timingSafeEqual } from 'node:crypto';
import { handleEventDelivery } from '../src/runtime/event-delivery.ts';
import { sharedRuntime } from '../src/runtime/runtime.ts';
import { logDelivery } from './log-delivery.ts';

/** Event Grid delivers at most 1 MB per batch; anything bigger did not come from Event Grid. */
const MAX_DELIVERY_BYTES = 1024 * 1024;

function keyMatches(expected: string | undefined, request: HttpRequest): boolean {
  if (!expected) return true;
  const given = request.query.get('key') ?? request.headers.get('x-idwarden-key') ?? '';
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The same processing behind a plain webhook subscription: the Event Grid validation handshake (Event Grid schema
 * in the body, CloudEvents with OPTIONS), both schemas, and a key check when IDWARDEN_WEBHOOK_KEY is set.
 * Answers 200 when every event was decided or deliberately skipped, 503 to make Event Grid retry the delivery.
 */
export async function eventGridWebhook(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const runtime = await sharedRuntime();
  if (!keyMatches(runtime.settings.webhookKey, request)) {
    context.warn('webhook call refused: missing or wrong key');
    return { status: 401, jsonBody: { error: 'missing or wrong key' } };
  }
  if (request.method === 'OPTIONS') {
    const origin = request.headers.get('webhook-request-origin');
    if (!origin) return { status: 400, jsonBody: { error: 'WebHook-Request-Origin header is required' } };
    return { status: 200, headers: { 'WebHook-Allowed-Origin': origin, 'WebHook-Allowed-Rate': '120', Allow: 'POST' } };
  }
  const text = await request.text();
  if (Buffer.byteLength(text) > MAX_DELIVERY_BYTES) {
    context.warn(`webhook call refused: ${Buffer.byteLength(text)} bytes is over Event Grid's 1 MB delivery limit`);
    return { status: 413, jsonBody: { error: 'the body is larger than an Event Grid delivery can be (1 MB)' } };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    context.warn('webhook call refused: body is not JSON');
    return { status: 400, jsonBody: { error: 'the body is not JSON' } };
  }
  const result = await handleEventDelivery(runtime, body);
  logDelivery(result, context);
  if (result.validationResponse) return { status: 200, jsonBody: result.validationResponse };
  return result.redeliver
    ? { status: 503, jsonBody: { error: 'some events were not decided; deliver again' } }
    : { status: 200, jsonBody: { processed: result.outcomes.length, rejected: result.rejected.length } };
}

app.http('eventGridWebhook', { methods: ['POST', 'OPTIONS'], authLevel: 'function', route: 'events', handler: eventGridWebhook });
