import type { AuthorizationManagementClientOptionalParams } from '@azure/arm-authorization';
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import type { RequestPolicyFactory } from './retry.ts';

/**
 * A bound on every HTTP request the bot's Azure clients send. None of the three SDKs has one by default: a call the
 * service never answers would hang the function until the host kills it, with nothing recorded. Bounded, the call
 * fails as RequestTimeoutError (an AzureApiError with code CLIENT_TIMEOUT once mapped), is not retried (an answer that
 * slow says the service is struggling; retrying multiplies the wait against the function's time limit), and the
 * caller records a gap or skips the action, as for any failed read. The bound is AzureConfig.requestTimeoutMs.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

/** The code an AzureApiError carries when the bot stopped waiting for an answer (a server's own 408 keeps its code). */
export const CLIENT_TIMEOUT = 'ClientTimeout';

export class RequestTimeoutError extends Error {
  override readonly name = 'RequestTimeoutError';
  readonly code = CLIENT_TIMEOUT;

  constructor(
    readonly timeoutMs: number,
    url: string,
  ) {
    // Origin and path only: the query may carry a skip token.
    super(`no answer from ${url.split('?')[0]} within ${timeoutMs} ms`);
  }
}

/** Whether an SDK's error is this bound firing; the Graph client hands it over as a GraphError whose code is the error's name. */
export function isRequestTimeout(error: unknown): boolean {
  const { name, code } = (typeof error === 'object' && error !== null ? error : {}) as { name?: unknown; code?: unknown };
  return error instanceof RequestTimeoutError || name === 'RequestTimeoutError' || code === 'RequestTimeoutError' || code === CLIENT_TIMEOUT;
}

type AdditionalPolicy = NonNullable<AuthorizationManagementClientOptionalParams['additionalPolicies']>[number];

/** ARM clients (core-rest-pipeline): each attempt gets `timeout`; the pipeline's abort becomes RequestTimeoutError. */
export function armRequestTimeout(timeoutMs: number): AdditionalPolicy {
  return {
    position: 'perRetry',
    policy: {
      name: 'idwardenRequestTimeoutPolicy',
      async sendRequest(request, next) {
        request.timeout = timeoutMs;
        try {
          return await next(request);
        } catch (error) {
          if ((error as { name?: unknown }).name === 'AbortError' && !request.abortSignal?.aborted) throw new RequestTimeoutError(timeoutMs, request.url);
          throw error;
        }
      },
    },
  };
}

/**
 * An abort signal that fires after `timeoutMs` or when the caller's does, released as soon as the attempt ends. Not
 * AbortSignal.timeout or AbortSignal.any: Node keeps such a signal, with every listener the HTTP client put on it,
 * alive until its timer fires, and those listeners hold the response (at size L, every Resource Graph page: 180 MB).
 */
function attemptBound(timeoutMs: number, callerSignal: AbortSignal | undefined): { signal: AbortSignal; timedOut: () => boolean; release: () => void } {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const forward = () => controller.abort(callerSignal?.reason);
  if (callerSignal?.aborted) forward();
  else callerSignal?.addEventListener('abort', forward, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    release: () => {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', forward);
    },
  };
}

/**
 * Resource Graph 4.x (ms-rest-js): each attempt gets its own bound, through the request's abort signal. Not through
 * `request.timeout`: ms-rest-js never clears that timer, which would keep a finished process alive for the whole bound.
 */
export function resourceGraphRequestTimeout(timeoutMs: number): RequestPolicyFactory {
  return {
    create: (next) => ({
      async sendRequest(request) {
        const callerSignal = request.abortSignal;
        // ms-rest-js types its signal as AbortSignalLike (no `reason`); it only listens for 'abort'.
        const bound = attemptBound(timeoutMs, callerSignal as AbortSignal | undefined);
        request.abortSignal = bound.signal as unknown as typeof callerSignal;
        try {
          return await next.sendRequest(request);
        } catch (error) {
          if (bound.timedOut() && !callerSignal?.aborted) throw new RequestTimeoutError(timeoutMs, request.url);
          throw error;
        } finally {
          bound.release();
          request.abortSignal = callerSignal;
        }
      },
    }),
  };
}

/**
 * Graph client: a middleware just before HTTPMessageHandler, so each attempt (retries, redirects) gets its own bound.
 * The bound outlives this middleware on purpose: the Graph client reads the body after the chain returns, and the
 * timer bounds that read too (which keeps the response reachable until it fires; Resource Graph pages, far larger,
 * are released above). The RetryHandler sends every attempt through here with the same context, so the caller's
 * signal is put back after each one: the next attempt is bounded by its own timer, not the previous attempt's.
 */
export class GraphRequestTimeoutHandler implements Middleware {
  private next: Middleware | undefined;

  constructor(private readonly timeoutMs: number) {}

  async execute(context: Context): Promise<void> {
    if (!this.next) throw new Error('GraphRequestTimeoutHandler must not be the last middleware');
    const bound = AbortSignal.timeout(this.timeoutMs);
    const callerSignal = context.options?.signal ?? undefined;
    context.options = { ...context.options, signal: callerSignal ? AbortSignal.any([callerSignal, bound]) : bound };
    try {
      await this.next.execute(context);
    } catch (error) {
      if (bound.aborted && !callerSignal?.aborted) throw new RequestTimeoutError(this.timeoutMs, typeof context.request === 'string' ? context.request : context.request.url);
      throw error;
    } finally {
      context.options = { ...context.options, signal: callerSignal };
    }
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}
