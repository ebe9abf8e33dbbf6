import { z } from 'zod';
import { requireArmAction } from '../authz/require.ts';
import { EmulatorHttpError } from '../server/errors.ts';
import { json, type EmulatorRequest } from '../server/exchange.ts';
import { path, type Route, type RouteContext } from '../server/route.ts';
import { GUID, parseScope, type ParsedScope } from '../state/ids.ts';
import type { RoleDefinition } from '../state/model.ts';
import { scopeNotFound } from '../state/tenant.ts';
import { API_VERSIONS } from './api-versions.ts';
import { armRoute } from './arm-route.ts';
import { parseArmBody } from './body.ts';
import { parseRoleDefinitionFilter } from './filter.ts';
import { paginate } from './paging.ts';
import { publishArmOperation } from './publish.ts';
import { allowQueryOptions, queryParam } from './query.ts';
import { armTime, subscriptionPrefix } from './render.ts';
import { requestScope, requireScopeExists } from './scopes.ts';

/**
 * Microsoft.Authorization/roleDefinitions (2022-04-01): list at a scope with $filter, get by scope
 * and GUID (also the SDK's getById: `/providers/...` or subscription-prefixed), and create, update
 * and delete custom roles. Role definitions are tenant-wide; the scope decides the rendered id.
 */
const READ = 'Microsoft.Authorization/roleDefinitions/read';
const WRITE = 'Microsoft.Authorization/roleDefinitions/write';
const DELETE = 'Microsoft.Authorization/roleDefinitions/delete';

export function renderRoleDefinition(definition: RoleDefinition, scope: string) {
  return {
    properties: {
      roleName: definition.roleName,
      type: definition.roleType,
      description: definition.description,
      assignableScopes: definition.assignableScopes,
      permissions: definition.permissions.map(({ actions, notActions, dataActions, notDataActions }) => ({ actions, notActions, dataActions, notDataActions })),
      createdOn: armTime(definition.createdOn),
      updatedOn: armTime(definition.updatedOn),
      createdBy: definition.createdBy ?? null,
      updatedBy: definition.updatedBy ?? null,
    },
    id: `${subscriptionPrefix(scope)}/providers/Microsoft.Authorization/roleDefinitions/${definition.name}`,
    type: 'Microsoft.Authorization/roleDefinitions',
    name: definition.name,
  };
}

/**
 * Any principal of the tenant resolves role definitions at the root (`/providers/Microsoft.Authorization/roleDefinitions/{id}`,
 * the id every management-group assignment carries); at a subscription or below, ARM checks roleDefinitions/read there.
 */
function requireRead(ctx: RouteContext, scope: ParsedScope): void {
  if (scope.kind !== 'root') requireArmAction(ctx, READ, scope.scope);
}

function list(req: EmulatorRequest, ctx: RouteContext) {
  const tenant = ctx.core.tenant;
  const scope = requestScope(tenant, ctx.params['scope']!);
  allowQueryOptions(req, 'role definition lists', ['$filter', '$skipToken']);
  requireRead(ctx, scope);
  requireScopeExists(tenant, scope);
  const filter = parseRoleDefinitionFilter(queryParam(req, '$filter'));
  const definitions = [...tenant.roleDefinitions.values()].filter((definition) => {
    if (filter.roleName !== undefined && definition.roleName.toLowerCase() !== filter.roleName.toLowerCase()) return false;
    if (filter.type !== undefined && definition.roleType !== filter.type) return false;
    // At the root every role of the tenant is listed; elsewhere the roles usable there (and, when asked, below).
    if (scope.kind === 'root' || tenant.isAssignableAt(definition, scope.scope)) return true;
    return filter.atScopeAndBelow && definition.assignableScopes.some((assignable) => tenant.isWithin(assignable, scope.scope));
  });
  const rendered = definitions.map((definition) => renderRoleDefinition(definition, scope.scope));
  return json(200, paginate(req, rendered, ctx.core.armPageSizes.roleDefinitions, '$skipToken'));
}

function get(_req: EmulatorRequest, ctx: RouteContext) {
  const tenant = ctx.core.tenant;
  const scope = requestScope(tenant, ctx.params['scope']!);
  requireRead(ctx, scope);
  const definition = tenant.roleDefinition(ctx.params['id']!);
  if (!definition) throw roleDefinitionNotFound(ctx.params['id']!);
  return json(200, renderRoleDefinition(definition, scope.scope));
}

const Permission = z.object({
  actions: z.array(z.string()).default([]),
  notActions: z.array(z.string()).default([]),
  dataActions: z.array(z.string()).default([]),
  notDataActions: z.array(z.string()).default([]),
});

const PutBody = z.object({
  properties: z.object({
    roleName: z.string().min(1),
    description: z.string().nullable().optional(),
    type: z.literal('CustomRole').optional(),
    permissions: z.array(Permission).min(1),
    assignableScopes: z.array(z.string().min(1)).min(1),
  }),
});

/** ARM answers create and update alike with 201 (the SDK accepts nothing else for this operation). */
function put(req: EmulatorRequest, ctx: RouteContext) {
  const tenant = ctx.core.tenant;
  const scope = requestScope(tenant, ctx.params['scope']!);
  const id = ctx.params['id']!;
  if (!GUID.test(id)) throw new EmulatorHttpError(400, 'InvalidRoleDefinitionId', `The role definition ID '${id}' is not valid.`);
  const authorization = requireArmAction(ctx, WRITE, scope.scope);
  const { properties } = parseArmBody(PutBody, req);
  for (const assignable of properties.assignableScopes) {
    if (!parseScope(assignable)) throw scopeNotFound(assignable);
    // Creating a role that can be assigned somewhere takes the right to write roles there too.
    requireArmAction(ctx, WRITE, assignable);
  }
  const { definition, created } = tenant.putCustomRoleDefinition(
    {
      name: id,
      roleName: properties.roleName,
      description: properties.description ?? '',
      permissions: properties.permissions,
      assignableScopes: properties.assignableScopes,
      by: ctx.caller!.principalId,
    },
    req.receivedAt,
  );
  const rendered = renderRoleDefinition(definition, scope.scope);
  publishArmOperation(req, ctx, { kind: 'write', resourceId: rendered.id, operationName: WRITE, authorization, updatedExisting: !created });
  return json(201, rendered);
}

function remove(req: EmulatorRequest, ctx: RouteContext) {
  const tenant = ctx.core.tenant;
  const scope = requestScope(tenant, ctx.params['scope']!);
  const authorization = requireArmAction(ctx, DELETE, scope.scope);
  const removed = tenant.deleteCustomRoleDefinition(ctx.params['id']!);
  if (!removed) return json(204);
  const rendered = renderRoleDefinition(removed, scope.scope);
  publishArmOperation(req, ctx, { kind: 'delete', resourceId: rendered.id, operationName: DELETE, authorization });
  return json(200, rendered);
}

const roleDefinitionNotFound = (id: string) => new EmulatorHttpError(404, 'RoleDefinitionDoesNotExist', `The specified role definition with ID '${id}' does not exist.`);

const collection = path('{scope*}/providers/Microsoft.Authorization/roleDefinitions');
const item = path('{scope*}/providers/Microsoft.Authorization/roleDefinitions/{id}');
const route = armRoute('roleDefinitions', API_VERSIONS.authorization);

export const roleDefinitionRoutes: Route[] = [
  route('list', 'GET', collection, list),
  route('get', 'GET', item, get),
  route('createOrUpdate', 'PUT', item, put),
  route('delete', 'DELETE', item, remove),
];
