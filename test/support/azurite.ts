import { after } from 'node:test';
import { startAzurite, type AzuriteOptions, type RunningAzurite } from '../../emulator/azurite.ts';

export { AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY, startAzurite, type AzuriteOptions, type RunningAzurite } from '../../emulator/azurite.ts';

/** Starts a real Azurite (from node_modules) for one test file on free ports and stops it after the file. */
export async function useAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const azurite = await startAzurite(options);
  after(() => azurite.stop());
  return azurite;
}
