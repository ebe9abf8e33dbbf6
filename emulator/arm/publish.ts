import type { AuthorizationDecision } from '../authz/rbac.ts';
import { header, type EmulatorRequest } from '../server/exchange.ts';
import type { RouteContext } from '../server/route.ts';
import type { ArmOperation } from './operations.ts';
import { encodeQuery } from './query.ts';

/** Where a request would have gone in Azure: Event Grid's `httpRequest.url`. */
const PUBLIC_ARM_ENDPOINT = 'https://management.azure.com';

const SUBSCRIPTION_AND_GROUP = /^\/subscriptions\/([^/]+)(?:\/resourceGroups\/([^/]+))?/i;

/**
 * Announces a successful ARM write or delete to whoever listens (Event Grid delivery). Called after
 * the state changed, never for a no-op (deleting what is already gone). `subscriptionId` is empty for
 * operations outside any subscription (management groups, the tenant root): they have no subscription topic.
 */
export function publishArmOperation(
  req: EmulatorRequest,
  ctx: RouteContext,
  operation: Pick<ArmOperation, 'kind' | 'resourceId' | 'operationName' | 'updatedExisting'> & { authorization: AuthorizationDecision },
): void {
  const located = SUBSCRIPTION_AND_GROUP.exec(operation.resourceId);
  const query = encodeQuery(req.query);
  ctx.core.armOperations.publish({
    ...operation,
    resourceProvider: operation.operationName.split('/')[0]!,
    subscriptionId: located?.[1] ?? '',
    resourceGroup: located?.[2],
    caller: ctx.caller!,
    httpMethod: req.method,
    url: `${PUBLIC_ARM_ENDPOINT}${req.path}${query ? `?${query}` : ''}`,
    // The same ids the dispatcher echoes in the response headers.
    correlationId: header(req, 'x-ms-correlation-request-id') ?? req.requestId,
    clientRequestId: header(req, 'x-ms-client-request-id') ?? '',
    at: ctx.core.clock.now(),
  });
}
