import { after } from 'node:test';
import type { TokenCredential } from '@azure/identity';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../emulator/index.ts';

/**
 * Starts an emulator for one test file and points this process's managed-identity credential at it.
 * MSAL fixes its managed-identity source per process at first use, so each test file (its own process
 * under `node --test`) sets the environment once, before any credential is made.
 */
export async function useEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  if (!process.env['NODE_EXTRA_CA_CERTS']) {
    throw new Error('NODE_EXTRA_CA_CERTS is not set: run tests through `npm test` so the emulator certificate is trusted');
  }
  const emulator = await startEmulator(options);
  for (const name of ['AZURE_CLIENT_ID', 'AZURE_TENANT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_FEDERATED_TOKEN_FILE', 'MSI_ENDPOINT', 'MSI_SECRET', 'IMDS_ENDPOINT']) {
    delete process.env[name];
  }
  process.env['IDENTITY_ENDPOINT'] = emulator.env['IDENTITY_ENDPOINT'];
  process.env['IDENTITY_HEADER'] = emulator.env['IDENTITY_HEADER'];
  after(() => emulator.stop());
  return emulator;
}

/** A bearer token for any principal in the tenant, as if that person or app had signed in. */
export function tokenFor(emulator: RunningEmulator, principalId: string, audience = 'https://management.azure.com', lifetimeSeconds = 3600): string {
  return emulator.core.tokens.mint({ principalId, tenantId: emulator.core.tenant.tenantId, audience, kind: 'user', lifetimeSeconds }).token;
}

/** Plain HTTPS call to the emulator, for tests that need exact status codes and bodies rather than an SDK's view. */
export async function call(
  emulator: RunningEmulator,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(`${emulator.baseUrl}${path}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body };
}

/** An SDK credential that presents `tokenFor(principalId)`: a real client acting as someone other than the bot (the human admin in the portal). */
export function credentialFor(emulator: RunningEmulator, principalId: string): TokenCredential {
  return {
    async getToken() {
      return { token: tokenFor(emulator, principalId), expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
}
