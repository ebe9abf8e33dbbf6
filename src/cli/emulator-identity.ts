/**
 * Points this process's managed-identity credential at the emulator's token endpoint. MSAL reads the endpoint
 * from the process environment and fixes it at first use, so this runs before any credential exists.
 */
export function useEmulatorIdentity(env: Readonly<Record<string, string>>): void {
  process.env['IDENTITY_ENDPOINT'] = env['IDENTITY_ENDPOINT'];
  process.env['IDENTITY_HEADER'] = env['IDENTITY_HEADER'];
  delete process.env['AZURE_CLIENT_ID'];
}
