import type { RunningEmulator } from '../emulator/index.ts';
import { Tally } from './tally.ts';

/**
 * Every answer the emulator gave, by status and by who asked, counted as it is logged. Answers from faults and
 * throttling come before authentication, so they (and the token endpoint's) are `unattributed`; status 0 is a dropped connection.
 */
export function countStatuses(emulator: RunningEmulator, botPrincipalId: string) {
  const byStatus = new Tally();
  const throttledByService = new Tally();
  const { requests } = emulator.core;
  const record = requests.record.bind(requests);
  const bot = botPrincipalId.toLowerCase();
  requests.record = (entry) => {
    const who = entry.principalId?.toLowerCase() === bot ? 'bot' : entry.principalId ? 'person' : 'unattributed';
    byStatus.add(`${who} ${entry.status}`);
    if (entry.status === 429) throttledByService.add(`${who} ${entry.route.split('.')[0]}`);
    record(entry);
  };
  return {
    toJSON: () => ({ requests: byStatus.total(), byStatus: byStatus.toJSON(), answered429: throttledByService.total(), answered429ByService: throttledByService.toJSON() }),
  };
}
