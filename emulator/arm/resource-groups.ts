import { z } from 'zod';
import { requireArmAction } from '../authz/require.ts';
import { json, type EmulatorRequest } from '../server/exchange.ts';
import { path, type Route, type RouteContext } from '../server/route.ts';
import { idKey } from '../state/ids.ts';
import type { ResourceGroup } from '../state/model.ts';
import { scopeNotFound } from '../state/tenant.ts';
import { ListAccess } from './access.ts';
import { API_VERSIONS } from './api-versions.ts';
import { armRoute } from './arm-route.ts';
import { parseArmBody } from './body.ts';
import { paginate, topPageSize } from './paging.ts';
import { publishArmOperation } from './publish.ts';
import { allowQueryOptions, encodeQuery } from './query.ts';
import { requireLocation, Tags } from './resource-body.ts';
import { requestScope, requireScopeExists } from './scopes.ts';

/**
 * Microsoft.Resources resource groups: list, get, create or update, and delete. A delete removes
 * everything inside the group at once and answers 202 with a Location that already reports success,
 * the shape of ARM's long-running delete without the wait.
 */
const READ = 'Microsoft.Resources/subscriptions/resourceGroups/read';
const WRITE = 'Microsoft.Resources/subscriptions/resourceGroups/write';
const DELETE = 'Microsoft.Resources/subscriptions/resourceGroups/delete';

export function renderResourceGroup(group: ResourceGroup) {
  return { id: group.id, name: group.name, type: 'Microsoft.Resources/resourceGroups', location: group.location, tags: group.tags, properties: { provisioningState: 'Succeeded' } };
}

function list(req: EmulatorRequest, ctx: RouteContext) {
  const tenant = ctx.core.tenant;
  const subscription = requestScope(tenant, `/subscriptions/${ctx.params['subscription']}`);
  allowQueryOptions(req, 'resource group lists', ['$top', '$skiptoken']);
  const access = new ListAccess(ctx, READ, subscription.scope);
  const groups = [...tenant.resourceGroups.values()].filter((group) => tenant.isWithin(group.id, subscription.scope) && access.canSee(group.id));
  return json(200, paginate(req, groups.map(renderResourceGroup), topPageSize(req, ctx.core.armPageSizes.resourceGroups), '$skiptoken'));
}

const groupScope = (ctx: RouteContext) => requestScope(ctx.core.tenant, `/subscriptions/${ctx.params['subscription']}/resourceGroups/${ctx.params['resourceGroup']}`);

function get(_req: EmulatorRequest, ctx: RouteContext) {
  const scope = groupScope(ctx);
  requireArmAction(ctx, READ, scope.scope);
  requireScopeExists(ctx.core.tenant, scope);
  return json(200, renderResourceGroup(ctx.core.tenant.resourceGroups.get(idKey(scope.scope))!));
}

const PutBody = z.object({ location: z.string(), tags: Tags.optional() });

function put(req: EmulatorRequest, ctx: RouteContext) {
  const scope = groupScope(ctx);
  const authorization = requireArmAction(ctx, WRITE, scope.scope);
  requireLocation(req);
  const body = parseArmBody(PutBody, req);
  const { group, created } = ctx.core.tenant.putResourceGroup({
    subscriptionId: scope.subscriptionId!,
    name: scope.resourceGroup!,
    location: body.location,
    ...(body.tags ? { tags: body.tags } : {}),
  });
  publishArmOperation(req, ctx, { kind: 'write', resourceId: group.id, operationName: WRITE, authorization, updatedExisting: !created });
  return json(created ? 201 : 200, renderResourceGroup(group));
}

function remove(req: EmulatorRequest, ctx: RouteContext) {
  const scope = groupScope(ctx);
  const authorization = requireArmAction(ctx, DELETE, scope.scope);
  const removed = ctx.core.tenant.deleteResourceGroup(scope.scope, req.receivedAt);
  if (!removed) throw scopeNotFound(scope.scope);
  publishArmOperation(req, ctx, { kind: 'delete', resourceId: removed.id, operationName: DELETE, authorization });
  const operation = Buffer.from(removed.id, 'utf8').toString('base64url');
  const location = `${req.baseUrl}/subscriptions/${scope.subscriptionId}/operationresults/${operation}?${encodeQuery(req.query)}`;
  return json(202, undefined, { location, 'retry-after': '1' });
}

/** The Location of a resource group delete: done by the time anyone asks. */
function operationResult(_req: EmulatorRequest, ctx: RouteContext) {
  requestScope(ctx.core.tenant, `/subscriptions/${ctx.params['subscription']}`);
  return json(200);
}

const route = armRoute('resourceGroups', API_VERSIONS.resources);
const item = path('/subscriptions/{subscription}/resourceGroups/{resourceGroup}');

export const resourceGroupRoutes: Route[] = [
  route('list', 'GET', path('/subscriptions/{subscription}/resourceGroups'), list),
  route('get', 'GET', item, get),
  route('createOrUpdate', 'PUT', item, put),
  route('delete', 'DELETE', item, remove),
  route('operationResult', 'GET', path('/subscriptions/{subscription}/operationresults/{operation}'), operationResult),
];
