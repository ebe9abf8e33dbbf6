import type { AzureClients } from '../azure/clients.ts';
import { callAzure } from '../azure/errors.ts';

/**
 * When resources were created, from ARM's resource list with `$expand=createdTime` (one paged list per subscription).
 * Resource Graph does not carry creation times, and a system-assigned identity is as old as its resource's
 * identity, for which the resource's creation time is the best bound ARM offers. Keys are lower-cased resource ids.
 */
export async function readCreationTimes(clients: AzureClients, subscriptionId: string): Promise<Map<string, string>> {
  const client = await clients.resources(subscriptionId);
  const times = new Map<string, string>();
  await callAzure({ service: 'arm', operation: 'resources.listBySubscription', subscriptionId, target: `/subscriptions/${subscriptionId}` }, async () => {
    for await (const resource of client.resources.list({ expand: 'createdTime', top: 1000 })) {
      if (resource.id && resource.createdTime) times.set(resource.id.toLowerCase(), resource.createdTime.toISOString());
    }
  });
  return times;
}
