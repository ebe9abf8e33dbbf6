import { z } from 'zod';
import type { AzureClients } from '../azure/clients.ts';
import { callAzure, type AzureCallContext } from '../azure/errors.ts';
import type { RequestIdSink } from '../azure/request-ids.ts';
import { parseResponse } from '../azure/response.ts';

/** Resource Graph returns at most 1000 rows a page. */
export const RESOURCE_GRAPH_PAGE = 1000;

/** Where a query looks: named subscriptions, management groups (and everything below them), or the whole tenant the bot can read. */
export type GraphScope = { subscriptions: string[] } | { managementGroups: string[] } | { tenant: true };

const pageSchema = z.object({ data: z.array(z.unknown()), skipToken: z.string().optional(), $skipToken: z.string().optional() });

/** Runs one KQL query to the end, page by page (`$skipToken`), checking each row against `row`; each page's request id goes to `requestIds`. */
export async function* queryResourceGraph<T extends z.ZodType>(clients: AzureClients, query: string, scope: GraphScope, row: T, operation: string, requestIds?: RequestIdSink): AsyncIterable<z.output<T>> {
  const client = await clients.resourceGraph();
  const context: AzureCallContext = { service: 'resource-graph', operation };
  let skipToken: string | undefined;
  do {
    const response = await callAzure(context, () =>
      client.resources({
        query,
        ...('subscriptions' in scope ? { subscriptions: scope.subscriptions } : {}),
        ...('managementGroups' in scope ? { managementGroups: scope.managementGroups } : {}),
        options: { top: RESOURCE_GRAPH_PAGE, resultFormat: 'objectArray', ...(skipToken ? { skipToken } : {}) },
      }),
    );
    const requestId = response._response.headers.get('x-ms-request-id');
    if (requestId) requestIds?.(requestId);
    const page = parseResponse(pageSchema, response, context);
    for (const item of page.data) yield parseResponse(row, item, context);
    skipToken = page.skipToken ?? page.$skipToken;
  } while (skipToken);
}
