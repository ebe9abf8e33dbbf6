import { retryAfterMs } from '../../azure/retry.ts';
import type { TeamsMessage } from './adaptive-card.ts';
import type { DeliveryAttempt } from './delivery.ts';

/**
 * Posting an Adaptive Card to a Teams Workflows webhook ("When a Teams webhook request is received").
 *
 * The webhook URL is a secret: its `sig` query parameter is the flow's only credential. It is read at run time from
 * the app setting the policy names (`notify.teams.webhookUrlSetting`; on Azure, a Key Vault reference), never logged,
 * and removed from every message this module produces. Only that URL is called: no Authorization header is sent (the
 * trigger refuses a second scheme) and redirects are not followed, so nothing leaves for another host.
 */
export interface TeamsWebhook {
  /** The app setting the URL came from: how messages name the destination. */
  setting: string;
  url: URL;
}

export type WebhookLookup = { ok: true; webhook: TeamsWebhook } | { ok: false; reason: string };

/** What Teams takes at most in one message ("approximately 28 KB", Teams connector known limitations). */
export const TEAMS_MESSAGE_LIMIT_BYTES = 28 * 1024;

const REQUEST_TIMEOUT_MS = 15_000;

/** Office 365 connector webhooks (Incoming Webhook) are retired; their URLs no longer deliver. */
const RETIRED_CONNECTOR = /(^|\.)webhook\.office\.com$|^outlook\.office(365)?\.com$/i;

export function teamsWebhookFrom(setting: string, env: Readonly<Record<string, string | undefined>>): WebhookLookup {
  const value = env[setting]?.trim();
  if (!value) return { ok: false, reason: `app setting ${setting} (notify.teams.webhookUrlSetting) is not set` };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, reason: `app setting ${setting} does not hold a URL` };
  }
  if (url.protocol !== 'https:') return { ok: false, reason: `app setting ${setting} must hold an https URL` };
  if (RETIRED_CONNECTOR.test(url.hostname)) {
    return { ok: false, reason: `app setting ${setting} holds an Office 365 connector webhook, which Microsoft retired; create a Teams Workflows webhook ("When a Teams webhook request is received") and store its URL instead` };
  }
  return { ok: true, webhook: { setting, url } };
}

/** Removes the webhook URL, its path and its signature from text that will be logged or returned. */
export function redactWebhook(text: string, url: URL): string {
  const secrets = [url.href, decoded(url.href), `${url.pathname}${url.search}`, url.search, url.pathname, ...url.searchParams.getAll('sig')];
  // Workflow ids are long path segments; without the signature they are harmless, but they are the URL's too.
  secrets.push(...url.pathname.split('/').filter((segment) => segment.length >= 16));
  return secrets
    .filter((secret) => secret.length > 1)
    .sort((a, b) => b.length - a.length)
    .reduce((redacted, secret) => redacted.replaceAll(secret, '[REDACTED]'), text);
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const TRANSIENT = new Set([408, 429, 500, 502, 503, 504]);

export async function postTeamsMessage(webhook: TeamsWebhook, message: TeamsMessage, now: () => number = Date.now): Promise<DeliveryAttempt> {
  const destination = `the Teams webhook in app setting ${webhook.setting} (host ${webhook.url.host})`;
  const body = JSON.stringify(message);
  const bytes = Buffer.byteLength(body);
  if (bytes > TEAMS_MESSAGE_LIMIT_BYTES) {
    // Teams would accept the request and drop the card in the flow run, where nobody sees it: refuse it here.
    return failure(undefined, 'PayloadTooLarge', `the card is ${bytes} bytes, over the ${TEAMS_MESSAGE_LIMIT_BYTES}-byte limit of a Teams message`, false);
  }
  let response: Response;
  try {
    response = await fetch(webhook.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    return failure(undefined, networkCode(error), redactWebhook(`could not reach ${destination}: ${networkDetail(error)}`, webhook.url), true);
  }
  if (response.ok) {
    await response.body?.cancel();
    return { ok: true, status: response.status };
  }
  const { code, message: serviceMessage } = errorOf(await response.text());
  if (response.status >= 300 && response.status < 400) {
    return failure(response.status, code, `${destination} answered a redirect (${response.status}); redirects are not followed`, false);
  }
  const reason = redactWebhook(`${destination} answered ${response.status}${code ? ` ${code}` : ''}${serviceMessage ? `: ${serviceMessage}` : ''}`, webhook.url);
  const wait = retryAfterMs({ status: response.status, header: (name) => response.headers.get(name) ?? undefined }, now());
  return failure(response.status, code, reason, TRANSIENT.has(response.status), wait);
}

function failure(status: number | undefined, code: string | undefined, reason: string, retryable: boolean, retryAfter?: number): DeliveryAttempt {
  return { ok: false, status, code, reason, retryable, retryAfterMs: retryAfter };
}

/** Logic Apps errors are `{ error: { code, message } }`; anything else (an HTML gateway page) has neither. */
function errorOf(text: string): { code: string | undefined; message: string | undefined } {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    const code = typeof parsed.error?.code === 'string' ? parsed.error.code : undefined;
    const message = typeof parsed.error?.message === 'string' ? parsed.error.message : undefined;
    return { code, message };
  } catch {
    return { code: undefined, message: undefined };
  }
}

/** fetch rejects with a TypeError whose `cause` says what failed (ECONNREFUSED, a TLS error) or with a TimeoutError. */
function networkCode(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  return error instanceof Error ? error.name : 'NetworkError';
}

function networkDetail(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
