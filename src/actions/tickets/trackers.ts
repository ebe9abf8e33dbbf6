import type { TokenCredential } from '@azure/identity';
import type { Policy } from '../../policy/schema.ts';
import { AzureDevOpsTracker } from './azure-devops.ts';
import { loadTicketEndpoints } from './config.ts';
import { githubTrackerFromSettings } from './github-issues.ts';
import { sharedTicketCache } from './ticket-index.ts';
import type { TicketTracker } from './tracker.ts';

/**
 * The trackers a policy's `tickets` section asks for, built once per run; their indexes of tickets live on between
 * runs in this process (sharedTicketCache), so a run reads only what changed since the last:
 * GitHub with the token from the named app setting, Azure DevOps with the bot's credential. None when the section is empty.
 */
export function ticketTrackers(tickets: Policy['tickets'], env: Readonly<Record<string, string | undefined>>, credential: TokenCredential): TicketTracker[] {
  const endpoints = loadTicketEndpoints(env);
  const trackers: TicketTracker[] = [];
  if (tickets.github) trackers.push(githubTrackerFromSettings(env, tickets.github, endpoints.githubApiUrl));
  if (tickets.azureDevOps) {
    const { organization, project, workItemType } = tickets.azureDevOps;
    const cache = sharedTicketCache(`azure-devops ${endpoints.azureDevOpsUrl} ${organization}/${project}`);
    trackers.push(new AzureDevOpsTracker({ baseUrl: endpoints.azureDevOpsUrl, organization, project, workItemType, credential, cache }));
  }
  return trackers;
}
