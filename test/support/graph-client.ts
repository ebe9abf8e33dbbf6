import { ManagedIdentityCredential } from '@azure/identity';
import { Client, GraphError } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js';
import type { RunningEmulator } from '../../emulator/index.ts';
import { BOT_CLIENT } from './ids.ts';

/**
 * The real Microsoft Graph SDK client, signed in as the bot's managed identity, pointed at the emulator.
 * `customHosts` is what makes the SDK attach the token to a non-Graph host at all.
 */
export function botGraphClient(emulator: RunningEmulator, options: { customHosts?: boolean } = {}): Client {
  return Client.initWithMiddleware({
    authProvider: new TokenCredentialAuthenticationProvider(new ManagedIdentityCredential({ clientId: BOT_CLIENT }), {
      scopes: ['https://graph.microsoft.com/.default'],
    }),
    baseUrl: emulator.baseUrl,
    defaultVersion: 'v1.0',
    ...(options.customHosts === false ? {} : { customHosts: new Set(['127.0.0.1']) }),
  });
}

/** For assert.rejects: the SDK's GraphError with this status and Graph error code. */
export const graphError = (statusCode: number, code: string) => (error: unknown) => {
  if (!(error instanceof GraphError)) throw error;
  if (error.statusCode !== statusCode || error.code !== code) throw new Error(`expected ${statusCode} ${code}, got ${error.statusCode} ${error.code}: ${error.message}`);
  return true;
};
