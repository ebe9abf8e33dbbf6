import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import type { AzureConfig } from './config.ts';

/**
 * The bot's TokenCredential, chosen by configuration. No secrets: on Azure Functions the managed identity
 * (user-assigned when AZURE_CLIENT_ID is set), otherwise DefaultAzureCredential for a person's CLI run.
 *
 * @azure/identity (with MSAL) loads on the first token request, not at import, to keep cold starts short.
 */
export function createCredential(config: AzureConfig): TokenCredential {
  let credential: Promise<TokenCredential> | undefined;
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      credential ??= build(config);
      return (await credential).getToken(scopes, options);
    },
  };
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
