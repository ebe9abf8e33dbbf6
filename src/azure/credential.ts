import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import type { AzureConfig } from './config.ts';
import { scrubSecrets } from './errors.ts';

/**
 * No token could be had: the credential's own retries are spent. Names where the token was asked for (the
 * managed-identity endpoint the SDK reads from the environment) and for which resource; the SDK's reason comes
 * scrubbed, so neither a token nor the endpoint's secret header can reach a log through it.
 */
export class TokenUnavailableError extends Error {
  override readonly name = 'TokenUnavailableError';

  constructor(
    readonly scopes: string[],
    /** Where the credential asks: `the managed-identity endpoint http://...` or `DefaultAzureCredential`. */
    readonly source: string,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(scrubSecrets(`no access token for ${scopes.join(' ')} from ${source}: ${reason}`));
  }
}

/**
 * The bot's TokenCredential, chosen by configuration. No secrets: on Azure Functions the managed identity
 * (user-assigned when AZURE_CLIENT_ID is set), otherwise DefaultAzureCredential for a person's CLI run.
 * A failure to get a token is a TokenUnavailableError, whichever client asked.
 *
 * @azure/identity (with MSAL) loads on the first token request, not at import, to keep cold starts short.
 */
export function createCredential(config: AzureConfig): TokenCredential {
  let credential: Promise<TokenCredential> | undefined;
  const source = config.credential === 'managed-identity' ? `the managed-identity endpoint ${managedIdentityEndpoint()}` : 'DefaultAzureCredential';
  const request = async (scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> => {
    credential ??= build(config);
    try {
      return await (await credential).getToken(scopes, options);
    } catch (error) {
      throw new TokenUnavailableError(typeof scopes === 'string' ? [scopes] : scopes, source, error);
    }
  };
  // Concurrent asks for the same token share one request: a burst of invocations starting together on a cold instance
  // would otherwise each ask the token endpoint (sixteen at once for sixteen events) before any of them is cached.
  const inFlight = new Map<string, Promise<AccessToken | null>>();
  return {
    getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      const key = JSON.stringify([scopes, options?.tenantId, options?.claims, options?.enableCae]);
      let pending = inFlight.get(key);
      if (!pending) {
        // Without the first caller's abort signal: its abort must not fail the others waiting on the same request.
        const { abortSignal: _ignored, ...shared } = options ?? {};
        pending = request(scopes, shared).finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      return pending;
    },
  };
}

/** The endpoint @azure/identity picks from the environment, as it does: App Service / Functions, then MSI_ENDPOINT, then IMDS. */
function managedIdentityEndpoint(): string {
  return process.env['IDENTITY_ENDPOINT'] ?? process.env['MSI_ENDPOINT'] ?? 'IMDS (http://169.254.169.254/metadata/identity/oauth2/token)';
}

async function build(config: AzureConfig): Promise<TokenCredential> {
  const identity = await import('@azure/identity');
  if (config.credential === 'managed-identity') {
    return new identity.ManagedIdentityCredential(config.clientId ? { clientId: config.clientId } : {});
  }
  return new identity.DefaultAzureCredential({
    ...(config.clientId ? { managedIdentityClientId: config.clientId } : {}),
    ...(config.tenantId ? { tenantId: config.tenantId } : {}),
  });
}
