import type { AuthorizationManagementClientOptionalParams } from '@azure/arm-authorization';
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';

/**
 * Each Azure client talks to its configured origin only (scheme, host and port), whatever a response tells it.
 *
 * The SDKs follow what the service hands back: the ARM clients request a page's `nextLink` verbatim, on any host, and
 * their pipeline signs every request with the bot's ARM token; the Graph client requests `@odata.nextLink` verbatim
 * too, attaching the Graph token when the host name is a configured one, whatever the port. So a response naming
 * another origin (a spoofed endpoint, a proxy rewriting bodies) would make the bot call there, token included. The
 * last step before a request leaves, after signing and after any redirect, refuses a URL outside the client's origin:
 * the call fails with HostNotAllowedError (an AzureApiError with that code once mapped) and the caller records a gap.
 */
export class HostNotAllowedError extends Error {
  override readonly name = 'HostNotAllowedError';

  constructor(
    /** Origin and path of the refused request (its query is left out: it may carry a skip token). */
    readonly refused: string,
    readonly allowedOrigin: string,
  ) {
    super(`refusing to send a request to ${refused}: this client only calls ${allowedOrigin}`);
  }
}

/** Throws HostNotAllowedError unless `url` is on `allowedOrigin`. */
export function requireOrigin(url: string, allowedOrigin: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new HostNotAllowedError(url.split('?')[0]!, allowedOrigin);
  }
  if (parsed.origin !== allowedOrigin) throw new HostNotAllowedError(`${parsed.origin}${parsed.pathname}`, allowedOrigin);
}

type AdditionalPolicy = NonNullable<AuthorizationManagementClientOptionalParams['additionalPolicies']>[number];

/**
 * For the ARM clients (core-rest-pipeline): `perRetry` places it after the signing phase, right before the transport,
 * so it sees every attempt, redirects included.
 */
export function armHostPinning(allowedOrigin: string): AdditionalPolicy {
  return {
    position: 'perRetry',
    policy: {
      name: 'idwardenHostPinningPolicy',
      sendRequest(request, next) {
        requireOrigin(request.url, allowedOrigin);
        return next(request);
      },
    },
  };
}

/** For the Graph client: a middleware placed just before HTTPMessageHandler, after the redirect handler. */
export class GraphHostPinningHandler implements Middleware {
  private next: Middleware | undefined;

  constructor(private readonly allowedOrigin: string) {}

  async execute(context: Context): Promise<void> {
    requireOrigin(typeof context.request === 'string' ? context.request : context.request.url, this.allowedOrigin);
    if (!this.next) throw new Error('GraphHostPinningHandler must not be the last middleware');
    return this.next.execute(context);
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}
