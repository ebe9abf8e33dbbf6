import type { NotifyClock, RateLimiter } from './rate-limiter.ts';

/** One attempt to hand a message to Teams or to Graph. */
export type DeliveryAttempt = { ok: true; status: number } | DeliveryFailure;

export interface DeliveryFailure {
  ok: false;
  /** HTTP status; absent when no response arrived. */
  status: number | undefined;
  /** The service's error code (`DirectApiInvalidAuthorizationSignature`, `Authorization_RequestDenied` ...). */
  code: string | undefined;
  /** What went wrong, for the outcome and the log; never carries a secret. */
  reason: string;
  /** Whether the same request may succeed later (throttling, a transient server or network failure). */
  retryable: boolean;
  /** The wait the service asked for (Retry-After), when it did. */
  retryAfterMs: number | undefined;
}

/**
 * Bounded: at most 4 attempts; Retry-After is honoured exactly, other retryable failures back off 1, 2, 4 s (with
 * jitter); a service asking for a wait longer than maxWaitMs gets no retry in this run (the finding is kept and the
 * failure recorded, so the next run alerts again).
 */
export const DELIVERY_RETRY = { maxAttempts: 4, baseDelayMs: 1_000, maxWaitMs: 60_000 } as const;

/** Milliseconds before the next attempt, or undefined to stop. */
export function retryDelay(attemptsSoFar: number, failure: DeliveryFailure, random: () => number = Math.random): number | undefined {
  if (!failure.retryable || attemptsSoFar >= DELIVERY_RETRY.maxAttempts) return undefined;
  if (failure.retryAfterMs !== undefined) return failure.retryAfterMs;
  const ceiling = DELIVERY_RETRY.baseDelayMs * 2 ** (attemptsSoFar - 1);
  return ceiling / 2 + random() * (ceiling / 2);
}

export interface DeliveryResult {
  attempt: DeliveryAttempt;
  attempts: number;
}

export interface DeliveryOptions {
  clock: NotifyClock;
  limiter: RateLimiter;
  random?: () => number;
  /** Told before each wait, for the log. */
  onRetry?: (failure: DeliveryFailure, attempts: number, waitMs: number) => void;
}

/** Sends through the channel's rate limiter, retrying what may succeed later within DELIVERY_RETRY. */
export async function deliverWithRetry(send: () => Promise<DeliveryAttempt>, options: DeliveryOptions): Promise<DeliveryResult> {
  for (let attempts = 1; ; attempts += 1) {
    await options.limiter.acquire();
    const attempt = await send();
    if (attempt.ok) return { attempt, attempts };
    const wait = retryDelay(attempts, attempt, options.random);
    if (wait === undefined) return { attempt, attempts };
    if (wait > DELIVERY_RETRY.maxWaitMs) {
      const asked = `${Math.ceil(wait / 1000)} s`;
      return { attempt: { ...attempt, reason: `${attempt.reason} (the service asked to retry after ${asked}, longer than the ${DELIVERY_RETRY.maxWaitMs / 1000} s an alert run waits)` }, attempts };
    }
    options.onRetry?.(attempt, attempts, wait);
    await options.clock.sleep(wait);
  }
}
