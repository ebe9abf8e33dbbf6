import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../emulator/index.ts';
import { startAzurite, type RunningAzurite } from '../../emulator/azurite.ts';

export interface LocalAzure {
  emulator: RunningEmulator;
  azurite: RunningAzurite;
  /** App settings that point the bot at both, as a deployment's would point it at Azure. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * The emulator and a real Azurite, side by side, for the commands that run the bot locally (demo, replay, scan
 * --emulator with state). The managed-identity credential reads its endpoint from the process environment, so
 * that is set here, once, before any credential exists.
 */
export async function startLocalAzure(options: EmulatorOptions = {}): Promise<LocalAzure> {
  const emulator = await startEmulator(options);
  const azurite = await startAzurite().catch(async (error: unknown) => {
    await emulator.stop();
    throw error;
  });
  process.env['IDENTITY_ENDPOINT'] = emulator.env['IDENTITY_ENDPOINT'];
  process.env['IDENTITY_HEADER'] = emulator.env['IDENTITY_HEADER'];
  delete process.env['AZURE_CLIENT_ID'];
  return {
    emulator,
    azurite,
    env: { ...emulator.env, IDWARDEN_STORAGE_CONNECTION_STRING: azurite.connectionString },
    async stop() {
      await emulator.stop();
      await azurite.stop();
    },
  };
}
