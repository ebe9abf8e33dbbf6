import { z } from 'zod';
import type { GraphClient } from './clients.ts';
import { callAzure, type AzureCallContext } from './errors.ts';
import { parseResponse } from './response.ts';

export const collectionOf = <T extends z.ZodType>(item: T) => z.object({ value: z.array(item), '@odata.nextLink': z.string().optional() });

/** Follows `@odata.nextLink` verbatim until it is absent, checking each page. */
export async function* graphPages<T extends z.ZodType>(client: GraphClient, first: () => Promise<unknown>, item: T, context: AzureCallContext): AsyncIterable<z.output<T>> {
  let response = await callAzure(context, first);
  for (;;) {
    const page = parseResponse(collectionOf(item), response, context);
    yield* page.value;
    const next = page['@odata.nextLink'];
    if (!next) return;
    response = await callAzure(context, () => client.api(next).get());
  }
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
