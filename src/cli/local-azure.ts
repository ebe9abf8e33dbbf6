import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../emulator/index.ts';
import { startAzurite, type RunningAzurite } from '../../emulator/azurite.ts';
import { useEmulatorIdentity } from './emulator-identity.ts';

export interface LocalAzure {
  emulator: RunningEmulator;
  azurite: RunningAzurite;
  /** App settings that point the bot at both, as a deployment's would point it at Azure. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * The emulator and a real Azurite, side by side, for the commands that run the bot locally with its state (demo,
 * replay), this process's managed-identity credential pointed at the emulator.
 */
export async function startLocalAzure(options: EmulatorOptions = {}): Promise<LocalAzure> {
  const emulator = await startEmulator(options);
  const azurite = await startAzurite().catch(async (error: unknown) => {
    await emulator.stop();
    throw error;
  });
  useEmulatorIdentity(emulator.env);
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
