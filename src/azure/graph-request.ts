import type { ResponseType } from '@microsoft/microsoft-graph-client';
import type { GraphClient } from './clients.ts';
import { AzureApiError, callAzure, toAzureApiError, type AzureCallContext } from './errors.ts';
import type { RequestIdSink } from './request-ids.ts';

/** ResponseType.RAW by value, so that importing this module does not load the Graph SDK before a client is built. */
const RAW = 'raw' as ResponseType;

export interface GraphCall {
  method: 'GET' | 'POST' | 'DELETE';
  /** Relative to the client's version (`/servicePrincipals/{id}/appRoleAssignments`), or an absolute `@odata.nextLink`. */
  path: string;
  body?: unknown;
}

interface GraphErrorBody {
  error?: { code?: string; message?: string };
}

/**
 * One Graph call whose `request-id` an action can put on record. The Graph client keeps response headers to itself
 * unless it hands over the raw response, so this reads that response: the request id goes to `requestIds`, a
 * failure becomes an AzureApiError with Graph's error code, and the JSON body (undefined for 204) is returned for
 * the caller to check. The client's middleware (authentication, retries on 429/503/504) runs as for any call.
 */
export async function graphRequest(client: GraphClient, call: GraphCall, context: AzureCallContext, requestIds?: RequestIdSink): Promise<unknown> {
  const request = client.api(call.path).responseType(RAW);
  const response: Response = await callAzure(context, () => (call.method === 'GET' ? request.get() : call.method === 'POST' ? request.post(call.body) : request.delete()));
  const requestId = response.headers.get('request-id') ?? undefined;
  if (requestId) requestIds?.(requestId);
  const text = await response.text();
  const body = parseJson(text);
  if (!response.ok) {
    const error = (body as GraphErrorBody | undefined)?.error;
    throw toAzureApiError({ statusCode: response.status, code: error?.code, message: error?.message ?? (text.slice(0, 200) || `HTTP ${response.status}`), requestId, headers: response.headers }, context);
  }
  if (text !== '' && body === undefined) {
    throw new AzureApiError({ ...context, statusCode: response.status, code: 'UnexpectedResponse', requestId, correlationId: undefined }, 'the response body is not JSON');
  }
  return body;
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
