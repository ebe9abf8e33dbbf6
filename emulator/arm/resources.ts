import { z } from 'zod';
import { authorize } from '../authz/rbac.ts';
import { requireArmAction } from '../authz/require.ts';
import { EmulatorHttpError, NotImplementedByEmulator } from '../server/errors.ts';
import { json, type EmulatorRequest } from '../server/exchange.ts';
import { path, type Route, type RouteContext } from '../server/route.ts';
import { fullResourceType, idKey, parseScope, type ParsedScope } from '../state/ids.ts';
import type { GenericResource, UserAssignedIdentity } from '../state/model.ts';
import type { Tenant } from '../state/tenant.ts';
import { normalizeLocation } from '../state/tenant.ts';
import { ListAccess } from './access.ts';
import { API_VERSIONS } from './api-versions.ts';
import { armRoute } from './arm-route.ts';
import { parseArmBody } from './body.ts';
import { parseResourceFilter } from './filter.ts';
import { paginate, topPageSize } from './paging.ts';
import { publishArmOperation } from './publish.ts';
import { allowQueryOptions, queryParam } from './query.ts';
import { armTime } from './render.ts';
import { requireLocation, requireSameLocation, Tags } from './resource-body.ts';
import { requestScope, requireScopeExists } from './scopes.ts';

/**
 * Any resource type other than the ones with their own routes (role assignments, role definitions,
 * user-assigned identities): GET, PUT and DELETE of `/subscriptions/{sub}/resourceGroups/{rg}/providers/{ns}/{type}/{name}`
 * with its managed-identity block, and the Microsoft.Resources lists of a subscription's or resource group's resources.
 * Only identity, location and tags are kept; a resource's other properties are not modelled.
 */

/** Namespaces whose other resource types the emulator does not model (their known types have their own routes). */
const NOT_GENERIC = new Set(['microsoft.authorization', 'microsoft.managedidentity']);

/** common-types v5 ManagedServiceIdentity, as ARM answers: `SystemAssigned,UserAssigned` without a space. */
function renderIdentity(resource: GenericResource, tenant: Tenant) {
  const identity = resource.identity;
  if (!identity) return undefined;
  const types = [identity.systemAssigned ? 'SystemAssigned' : undefined, identity.userAssigned.length > 0 ? 'UserAssigned' : undefined].filter(Boolean);
  return {
    type: types.join(','),
    ...(identity.systemAssigned ? { principalId: identity.principalId, tenantId: tenant.tenantId } : {}),
    ...(identity.userAssigned.length > 0
      ? {
          userAssignedIdentities: Object.fromEntries(
            identity.userAssigned.map((id) => {
              const attached = tenant.userAssignedIdentity(id);
              return [id, attached ? { principalId: attached.principalId, clientId: attached.clientId } : {}];
            }),
          ),
        }
      : {}),
  };
}

export function renderResource(resource: GenericResource, tenant: Tenant) {
  const identity = renderIdentity(resource, tenant);
  return { id: resource.id, name: resource.name, type: resource.type, location: resource.location, tags: resource.tags, ...(identity ? { identity } : {}) };
}

/** The resource a generic route addresses, refused when it is not one the emulator models generically. */
function genericScope(req: EmulatorRequest, ctx: RouteContext): ParsedScope {
  if (!queryParam(req, 'api-version')) {
    throw new EmulatorHttpError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
  }
  const parsed = parseScope(req.path);
  const beyondType = req.path.split('/').slice(7);
  // Extension resources (`.../providers/{ns}/...` below a resource) and lists of a type are not modelled.
  if (!parsed || parsed.kind !== 'resource' || NOT_GENERIC.has(parsed.provider!.toLowerCase()) || beyondType.some((s) => s.toLowerCase() === 'providers')) {
    throw new NotImplementedByEmulator(`${req.method} ${req.path}`);
  }
  return requestScope(ctx.core.tenant, req.path);
}

const action = (scope: ParsedScope, verb: 'read' | 'write' | 'delete') => `${fullResourceType(scope)}/${verb}`;

function get(req: EmulatorRequest, ctx: RouteContext) {
  const tenant = ctx.core.tenant;
  const scope = genericScope(req, ctx);
  allowQueryOptions(req, `GET ${fullResourceType(scope)}`, []);
  requireArmAction(ctx, action(scope, 'read'), scope.scope);
  requireScopeExists(tenant, scope);
  return json(200, renderResource(tenant.resource(scope.scope)!, tenant));
}

const IdentityBody = z.object({
  type: z.string(),
  // ARM takes `{}` per identity on PUT; `null` (removal) only means something on PATCH.
  userAssignedIdentities: z.record(z.string(), z.object({}).passthrough().nullable()).optional(),
});
const PutBody = z.object({ location: z.string(), tags: Tags.optional(), identity: IdentityBody.optional() });

/** `None`, `SystemAssigned`, `UserAssigned`, and both joined by a comma with or without a space. */
function parseIdentity(identity: z.infer<typeof IdentityBody> | undefined): { systemAssigned: boolean; userAssigned: string[] } | undefined {
  if (!identity) return undefined;
  const parts = new Set(identity.type.split(',').map((part) => part.trim().toLowerCase()));
  const known = ['none', 'systemassigned', 'userassigned'];
  if ([...parts].some((part) => !known.includes(part)) || (parts.has('none') && parts.size > 1)) {
    throw new EmulatorHttpError(400, 'InvalidIdentityType', `The identity type '${identity.type}' is not valid. Use None, SystemAssigned, UserAssigned or 'SystemAssigned,UserAssigned'.`);
  }
  const userAssigned = Object.entries(identity.userAssignedIdentities ?? {})
    .filter(([, value]) => value !== null)
    .map(([id]) => id);
  if (parts.has('userassigned') !== userAssigned.length > 0) {
    throw new EmulatorHttpError(400, 'BadRequest', "userAssignedIdentities must list the identities exactly when the identity type includes 'UserAssigned'.");
  }
  return { systemAssigned: parts.has('systemassigned'), userAssigned };
}

/** Attaching a user-assigned identity takes `assign/action` on it, checked as ARM's linked authorization. */
function requireAssignAction(ctx: RouteContext, writeAction: string, scope: string, newlyAttached: string[]): void {
  const assign = 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action';
  const denied = newlyAttached.filter((id) => !authorize(ctx.core.tenant, ctx.caller!.principalId, assign, id).allowed);
  if (denied.length === 0) return;
  const caller = ctx.caller!.principalId;
  throw new EmulatorHttpError(
    403,
    'LinkedAuthorizationFailed',
    `The client '${caller}' with object id '${caller}' has permission to perform action '${writeAction}' on scope '${scope}'; however, it does not have permission to perform action(s) '${assign}' on the linked scope(s) '${denied.join(',')}' (respectively) or the linked scope(s) are invalid.`,
  );
}

function put(req: EmulatorRequest, ctx: RouteContext) {
  const tenant = ctx.core.tenant;
  const scope = genericScope(req, ctx);
  const writeAction = action(scope, 'write');
  const authorization = requireArmAction(ctx, writeAction, scope.scope);
  requireLocation(req);
  const body = parseArmBody(PutBody, req);
  const identity = parseIdentity(body.identity);
  const existing = tenant.resource(scope.scope);
  if (existing) requireSameLocation(existing, body.location);
  const alreadyAttached = new Set(existing?.identity?.userAssigned.map(idKey) ?? []);
  requireAssignAction(ctx, writeAction, scope.scope, (identity?.userAssigned ?? []).filter((id) => !alreadyAttached.has(idKey(id))));
  const { resource, created } = tenant.putResource(
    { id: scope.scope, location: normalizeLocation(body.location), tags: body.tags ?? {}, ...(identity ? { identity } : {}) },
    req.receivedAt,
  );
  publishArmOperation(req, ctx, { kind: 'write', resourceId: resource.id, operationName: writeAction, authorization, updatedExisting: !created });
  return json(created ? 201 : 200, renderResource(resource, tenant));
}

function remove(req: EmulatorRequest, ctx: RouteContext) {
  const tenant = ctx.core.tenant;
  const scope = genericScope(req, ctx);
  const deleteAction = action(scope, 'delete');
  const authorization = requireArmAction(ctx, deleteAction, scope.scope);
  const group = requestScope(tenant, `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}`);
  requireScopeExists(tenant, group);
  const removed = tenant.deleteResource(scope.scope, req.receivedAt);
  if (!removed) return json(204);
  publishArmOperation(req, ctx, { kind: 'delete', resourceId: removed.id, operationName: deleteAction, authorization });
  return json(200);
}

type Listed = { kind: 'resource'; item: GenericResource } | { kind: 'identity'; item: UserAssignedIdentity };

/** `GET /subscriptions/{sub}[/resourceGroups/{rg}]/resources`: generic resources and user-assigned identities alike. */
function list(req: EmulatorRequest, ctx: RouteContext) {
  const tenant = ctx.core.tenant;
  const { subscription, resourceGroup } = ctx.params;
  const scope = requestScope(tenant, resourceGroup ? `/subscriptions/${subscription}/resourceGroups/${resourceGroup}` : `/subscriptions/${subscription}`);
  allowQueryOptions(req, 'resource lists', ['$filter', '$top', '$skiptoken', '$expand']);
  const listAction = resourceGroup ? 'Microsoft.Resources/subscriptions/resourceGroups/resources/read' : 'Microsoft.Resources/subscriptions/resources/read';
  const access = new ListAccess(ctx, listAction, scope.scope);
  requireScopeExists(tenant, scope);
  const { resourceType } = parseResourceFilter(queryParam(req, '$filter'));
  const withCreatedTime = parseExpand(queryParam(req, '$expand'));
  const everything: Listed[] = [
    ...[...tenant.resources.values()].map((item) => ({ kind: 'resource' as const, item })),
    ...[...tenant.userAssignedIdentities.values()].map((item) => ({ kind: 'identity' as const, item })),
  ];
  const typeOf = (listed: Listed) => (listed.kind === 'resource' ? listed.item.type : 'Microsoft.ManagedIdentity/userAssignedIdentities');
  const rendered = everything
    .filter((listed) => tenant.isWithin(listed.item.id, scope.scope))
    .filter((listed) => resourceType === undefined || typeOf(listed).toLowerCase() === resourceType.toLowerCase())
    .filter((listed) => access.canSee(listed.item.id, `${typeOf(listed)}/read`))
    .sort((a, b) => idKey(a.item.id).localeCompare(idKey(b.item.id)))
    .map((listed) => ({
      ...(listed.kind === 'resource'
        ? renderResource(listed.item, tenant)
        : { id: listed.item.id, name: listed.item.name, type: typeOf(listed), location: listed.item.location, tags: listed.item.tags }),
      ...(withCreatedTime ? { createdTime: armTime(listed.item.createdAt) } : {}),
    }));
  return json(200, paginate(req, rendered, topPageSize(req, ctx.core.armPageSizes.resources), '$skiptoken'));
}

/** `$expand=createdTime` is the one expansion the emulator knows (it does not track changedTime or provisioning). */
function parseExpand(expand: string | undefined): boolean {
  if (expand === undefined || expand.trim() === '') return false;
  const fields = expand.split(',').map((field) => field.trim());
  const unknown = fields.filter((field) => field.toLowerCase() !== 'createdtime');
  if (unknown.length > 0) throw new NotImplementedByEmulator(`$expand=${unknown.join(',')} on resource lists (only createdTime)`);
  return true;
}

const genericItem = path('/subscriptions/{subscription}/resourceGroups/{resourceGroup}/providers/{namespace}/{typeAndName*}');
const resourceRoute = armRoute('resources');
const listRoute = armRoute('resources', API_VERSIONS.resources);

export const resourceRoutes: Route[] = [
  listRoute('listBySubscription', 'GET', path('/subscriptions/{subscription}/resources'), list),
  listRoute('listByResourceGroup', 'GET', path('/subscriptions/{subscription}/resourceGroups/{resourceGroup}/resources'), list),
  resourceRoute('get', 'GET', genericItem, get),
  resourceRoute('createOrUpdate', 'PUT', genericItem, put),
  resourceRoute('delete', 'DELETE', genericItem, remove),
];
