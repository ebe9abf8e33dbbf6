import type { ResourceGraphModels } from '@azure/arm-resourcegraph';

/**
 * How the bot's Azure clients retry, in one place. The rule everywhere: the server's Retry-After wins
 * (Azure says exactly how long a throttled caller must wait; `Retry-After: 0` means "now"), transient
 * failures back off exponentially, and no call is tried more than 1 + maxRetries times. A call that still
 * fails surfaces as an AzureApiError (isThrottled for a 429) so the caller records a gap instead of guessing.
 */
export const RETRY_LIMITS = { maxRetries: 4, baseDelayMs: 1_000, maxDelayMs: 30_000 } as const;

/**
 * ARM clients (core-rest-pipeline's defaultRetryPolicy): 429 and 503 carrying `Retry-After` (seconds or an
 * HTTP date), `retry-after-ms` or `x-ms-retry-after-ms` wait exactly that, uncapped; 408, other 5xx (not 501/505)
 * and network errors back off exponentially from 1 s up to 30 s. A 429 without Retry-After is not retried.
 */
export const ARM_RETRY_OPTIONS = {
  maxRetries: RETRY_LIMITS.maxRetries,
  retryDelayInMs: RETRY_LIMITS.baseDelayMs,
  maxRetryDelayInMs: RETRY_LIMITS.maxDelayMs,
} as const;

/**
 * Microsoft Graph client's RetryHandler: retries 429, 503 and 504 (POSTs with JSON bodies too: getByIds is a read),
 * waiting `Retry-After` seconds when sent (the client caps it at 180 s), otherwise `delaySeconds` plus exponential backoff.
 */
export const GRAPH_RETRY = { delaySeconds: 1, maxRetries: RETRY_LIMITS.maxRetries } as const;

/** What one attempt produced, as far as the retry decision cares. */
export interface AttemptOutcome {
  /** Absent when no response arrived (the request could not be sent). */
  status: number | undefined;
  header(name: string): string | undefined;
}

/**
 * The ARM rules above as a pure decision: milliseconds to wait before the next attempt, or undefined to stop.
 * Used for Resource Graph, whose ms-rest-js pipeline would otherwise ignore `Retry-After: 0` and 503s and wait 30 s per retry.
 */
export function retryDelayMs(retriesSoFar: number, outcome: AttemptOutcome, now = Date.now(), random = Math.random): number | undefined {
  if (retriesSoFar >= RETRY_LIMITS.maxRetries) return undefined;
  const { status } = outcome;
  if (status === 429 || status === 503) {
    const serverWait = retryAfterMs(outcome, now);
    if (serverWait !== undefined) return serverWait;
  }
  const transient = status === undefined || status === 408 || (status >= 500 && status !== 501 && status !== 505);
  if (!transient) return undefined;
  const ceiling = Math.min(RETRY_LIMITS.maxDelayMs, RETRY_LIMITS.baseDelayMs * 2 ** retriesSoFar);
  return ceiling / 2 + random() * (ceiling / 2);
}

/** The wait a response asks for (`retry-after-ms`, `x-ms-retry-after-ms`, then `Retry-After` in seconds or as a date), if any. */
export function retryAfterMs(outcome: AttemptOutcome, now: number): number | undefined {
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const milliseconds = Number(outcome.header(name) ?? Number.NaN);
    if (Number.isFinite(milliseconds) && milliseconds >= 0) return milliseconds;
  }
  const value = outcome.header('retry-after');
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

type PolicyFactories = NonNullable<ResourceGraphModels.ResourceGraphClientOptions['requestPolicyFactories']>;
export type RequestPolicyFactory = Extract<PolicyFactories, readonly unknown[]>[number];

/**
 * A request that never got a response: ms-rest-js marks a failed DNS lookup REQUEST_SEND_ERROR, but rethrows
 * node-fetch's FetchError (type 'system') for a reset or refused connection; both are worth another try.
 * An abort is neither, and is not retried.
 */
const NO_ANSWER_CODES = new Set(['REQUEST_SEND_ERROR', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN']);
function gotNoAnswer(error: unknown): boolean {
  const { code, type } = error as { code?: unknown; type?: unknown };
  return (typeof code === 'string' && NO_ANSWER_CODES.has(code)) || type === 'system';
}
const NO_RESPONSE: AttemptOutcome = { status: undefined, header: () => undefined };

/** An ms-rest-js policy (Resource Graph 4.x) applying retryDelayMs; install it with `noRetryPolicy: true`. */
export function resourceGraphRetryPolicy(): RequestPolicyFactory {
  return {
    create: (next) => ({
      async sendRequest(request) {
        for (let retries = 0; ; retries += 1) {
          let response;
          try {
            response = await next.sendRequest(request.clone());
          } catch (error) {
            const delay = gotNoAnswer(error) ? retryDelayMs(retries, NO_RESPONSE) : undefined;
            if (delay === undefined) throw error;
            await sleep(delay);
            continue;
          }
          const { status, headers } = response;
          const delay = retryDelayMs(retries, { status, header: (name) => headers.get(name) ?? undefined });
          if (delay === undefined) return response;
          await sleep(delay);
        }
      },
    }),
  };
}

const sleep = (milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds));
