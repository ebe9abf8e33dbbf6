import { randomUUID } from 'node:crypto';
import { armTime } from '../arm/render.ts';

/** Event Grid waits 30 s for a webhook to answer, deliveries and handshakes alike. */
const WEBHOOK_TIMEOUT_MS = 30_000;
const EVENT_GRID_ORIGIN = 'eventgrid.azure.net';

/** A webhook refused or failed Event Grid's validation handshake, so the subscription is not created. */
export class WebhookValidationError extends Error {
  override readonly name = 'WebhookValidationError';
  constructor(
    readonly endpointUrl: string,
    detail: string,
  ) {
    super(`Webhook validation handshake failed for ${endpointUrl}: ${detail}`);
  }
}

/** POSTs one delivery; answers the HTTP status, or throws when the endpoint could not be reached. */
export async function postToWebhook(url: string, body: unknown, headers: Record<string, string>, signal: AbortSignal): Promise<number> {
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    signal: AbortSignal.any([signal, AbortSignal.timeout(WEBHOOK_TIMEOUT_MS)]),
  });
  await response.arrayBuffer();
  return response.status;
}

async function reach(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS) });
  } catch (error) {
    throw new WebhookValidationError(url, `the endpoint could not be reached (${error instanceof Error ? error.message : String(error)})`);
  }
}

/**
 * Event Grid schema handshake: a SubscriptionValidationEvent POSTed to the endpoint, which must answer
 * 200 with `{ "validationResponse": "<validationCode>" }` (manual validation through validationUrl is not emulated).
 */
export async function validateEventGridEndpoint(url: string, subscriptionName: string, topic: string, now: Date): Promise<void> {
  const validationCode = randomUUID();
  const event = {
    id: randomUUID(),
    topic,
    subject: '',
    data: {
      validationCode,
      validationUrl: `https://rp-eastus2.eventgrid.azure.net:553/eventsubscriptions/${subscriptionName.toLowerCase()}/validate?id=${validationCode}&t=${armTime(now)}&apiVersion=2018-05-01-preview&token=emulated`,
    },
    eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
    eventTime: armTime(now),
    metadataVersion: '1',
    dataVersion: '1',
  };
  const response = await reach(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'aeg-event-type': 'SubscriptionValidation',
      'aeg-subscription-name': subscriptionName.toUpperCase(),
      'aeg-delivery-count': '0',
      'aeg-metadata-version': '1',
      'aeg-data-version': '1',
    },
    body: JSON.stringify([event]),
  });
  const text = await response.text();
  if (response.status !== 200) throw new WebhookValidationError(url, `expected 200 with the validation code, got ${response.status}`);
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    throw new WebhookValidationError(url, 'the answer is not JSON; expected { "validationResponse": "<validationCode>" }');
  }
  const validationResponse = (answer as { validationResponse?: unknown } | null)?.validationResponse;
  if (validationResponse !== validationCode) {
    throw new WebhookValidationError(url, `validationResponse ${JSON.stringify(validationResponse)} does not echo the validationCode ${validationCode}`);
  }
}

/** CloudEvents 1.0 abuse-protection handshake: an OPTIONS request the endpoint must allow for Event Grid's origin. */
export async function validateCloudEventsEndpoint(url: string): Promise<void> {
  const response = await reach(url, { method: 'OPTIONS', headers: { 'WebHook-Request-Origin': EVENT_GRID_ORIGIN } });
  await response.arrayBuffer();
  const allowed = response.headers.get('webhook-allowed-origin');
  if (response.status !== 200) throw new WebhookValidationError(url, `expected 200 to OPTIONS, got ${response.status}`);
  if (allowed !== EVENT_GRID_ORIGIN && allowed !== '*') {
    throw new WebhookValidationError(url, `WebHook-Allowed-Origin must be ${EVENT_GRID_ORIGIN} or *, got ${allowed === null ? 'no header' : JSON.stringify(allowed)}`);
  }
}
