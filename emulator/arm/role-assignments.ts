import { z } from 'zod';
import { requireArmAction } from '../authz/require.ts';
import { EmulatorHttpError, NotImplementedByEmulator } from '../server/errors.ts';
import { json, type EmulatorRequest } from '../server/exchange.ts';
import { path, type Route, type RouteContext } from '../server/route.ts';
import { GUID } from '../state/ids.ts';
import type { RoleAssignment } from '../state/model.ts';
import { principalTypeOf, roleAssignmentId } from '../state/tenant.ts';
import { ListAccess } from './access.ts';
import { API_VERSIONS } from './api-versions.ts';
import { armRoute } from './arm-route.ts';
import { parseArmBody } from './body.ts';
import { parseRoleAssignmentFilter } from './filter.ts';
import { paginate } from './paging.ts';
import { publishArmOperation } from './publish.ts';
import { allowQueryOptions, queryParam } from './query.ts';
import { armTime, subscriptionPrefix } from './render.ts';
import { requestScope, requireScopeExists } from './scopes.ts';

/**
 * Microsoft.Authorization/roleAssignments (2022-04-01): list at any scope (subscription, resource
 * group, resource, management group, root) with ARM's $filter, and get/create/delete by scope and
 * name. The `/{roleAssignmentId}` forms of the SDK are the same URLs, so the same routes serve them.
 */
const READ = 'Microsoft.Authorization/roleAssignments/read';
const WRITE = 'Microsoft.Authorization/roleAssignments/write';
const DELETE = 'Microsoft.Authorization/roleAssignments/delete';
const PRINCIPAL_TYPES = ['User', 'Group', 'ServicePrincipal', 'ForeignGroup', 'Device'] as const;

/** The RoleAssignment resource exactly as ARM renders it, null-valued optional properties included. */
export function renderRoleAssignment(assignment: RoleAssignment) {
  return {
    properties: {
      roleDefinitionId: `${subscriptionPrefix(assignment.scope)}/providers/Microsoft.Authorization/roleDefinitions/${assignment.roleDefinitionName}`,
      principalId: assignment.principalId,
      principalType: assignment.principalType,
      scope: assignment.scope,
      condition: assignment.condition,
      conditionVersion: assignment.conditionVersion,
      createdOn: armTime(assignment.createdOn),
      updatedOn: armTime(assignment.updatedOn),
      createdBy: assignment.createdBy,
      updatedBy: assignment.updatedBy,
      delegatedManagedIdentityResourceId: null,
      description: assignment.description,
    },
    id: assignment.id,
    type: 'Microsoft.Authorization/roleAssignments',
    name: assignment.name,
  };
}

function list(req: EmulatorRequest, ctx: RouteContext) {
  const tenant = ctx.core.tenant;
  const scope = requestScope(tenant, ctx.params['scope']!);
  allowQueryOptions(req, 'role assignment lists', ['$filter', '$skipToken']);
  const access = new ListAccess(ctx, READ, scope.scope);
  requireScopeExists(tenant, scope);
  const filter = parseRoleAssignmentFilter(queryParam(req, '$filter'));
  const principalIds = filter.principalId
    ? new Set([filter.principalId.toLowerCase()])
    : filter.assignedTo
      ? tenant.securityIdentities(filter.assignedTo)
      : undefined;
  const visible = tenant
    .listRoleAssignments(scope.scope, { atScope: filter.atScope, ...(principalIds ? { principalIds } : {}) })
    .filter((assignment) => access.canSee(assignment.scope));
  return json(200, paginate(req, visible.map(renderRoleAssignment), ctx.core.armPageSizes.roleAssignments, '$skipToken'));
}

function get(_req: EmulatorRequest, ctx: RouteContext) {
  const tenant = ctx.core.tenant;
  const scope = requestScope(tenant, ctx.params['scope']!);
  requireArmAction(ctx, READ, scope.scope);
  const assignment = tenant.roleAssignment(roleAssignmentId(scope.scope, ctx.params['name']!));
  if (!assignment) throw roleAssignmentNotFound(ctx.params['name']!);
  return json(200, renderRoleAssignment(assignment));
}

const CreateBody = z.object({
  properties: z.object({
    roleDefinitionId: z.string().min(1),
    principalId: z.string().min(1),
    principalType: z.enum(PRINCIPAL_TYPES).optional(),
    description: z.string().nullable().optional(),
    condition: z.string().nullable().optional(),
    conditionVersion: z.string().nullable().optional(),
    delegatedManagedIdentityResourceId: z.string().nullable().optional(),
  }),
});

const ROLE_DEFINITION_ID = /^(?:\/subscriptions\/[^/]+|\/providers\/Microsoft\.Management\/managementGroups\/[^/]+)?\/providers\/Microsoft\.Authorization\/roleDefinitions\/([0-9a-f-]{36})$/i;

function create(req: EmulatorRequest, ctx: RouteContext) {
  const tenant = ctx.core.tenant;
  const scope = requestScope(tenant, ctx.params['scope']!);
  const name = ctx.params['name']!;
  if (!GUID.test(name)) {
    throw new EmulatorHttpError(400, 'InvalidRoleAssignmentId', `The role assignment ID '${name}' is not valid. The role assignment ID must be a GUID.`);
  }
  const { properties } = parseArmBody(CreateBody, req);
  const roleDefinition = ROLE_DEFINITION_ID.exec(properties.roleDefinitionId);
  const principal = tenant.directoryObject(properties.principalId);
  // The assignment being created is what ABAC conditions on the caller's assignments see as @Request[...].
  const authorization = requireArmAction(ctx, WRITE, scope.scope, {
    request: {
      roleDefinitionId: roleDefinition?.[1],
      principalId: properties.principalId,
      principalType: properties.principalType ?? (principal ? principalTypeOf(principal) : undefined),
    },
  });
  if (!roleDefinition) throw new EmulatorHttpError(400, 'InvalidRoleDefinitionId', `The role definition ID '${properties.roleDefinitionId}' is not valid.`);
  if (!GUID.test(properties.principalId)) throw new EmulatorHttpError(400, 'InvalidPrincipalId', 'A valid principal ID must be provided for role assignment.');
  if (properties.delegatedManagedIdentityResourceId) throw new NotImplementedByEmulator('delegatedManagedIdentityResourceId on role assignments');
  if (principal && properties.principalType && properties.principalType !== principalTypeOf(principal)) {
    throw new EmulatorHttpError(
      400,
      'UnmatchedPrincipalType',
      `The PrincipalId '${properties.principalId.replaceAll('-', '')}' has type '${principalTypeOf(principal)}' , which is different from specified PrincipalType '${properties.principalType}'.`,
    );
  }
  const { assignment, created } = tenant.createRoleAssignment(
    {
      scope: scope.scope,
      name,
      roleDefinitionId: roleDefinition[1]!,
      principalId: properties.principalId,
      ...(properties.principalType ? { principalType: properties.principalType } : {}),
      condition: properties.condition ?? null,
      conditionVersion: properties.conditionVersion ?? null,
      description: properties.description ?? null,
      createdBy: ctx.caller!.principalId,
    },
    req.receivedAt,
  );
  publishArmOperation(req, ctx, { kind: 'write', resourceId: assignment.id, operationName: WRITE, authorization, updatedExisting: !created });
  return json(created ? 201 : 200, renderRoleAssignment(assignment));
}

function remove(req: EmulatorRequest, ctx: RouteContext) {
  const tenant = ctx.core.tenant;
  const scope = requestScope(tenant, ctx.params['scope']!);
  const id = roleAssignmentId(scope.scope, ctx.params['name']!);
  const existing = tenant.roleAssignment(id);
  // The assignment being deleted is what ABAC conditions on the caller's assignments see as @Resource[...].
  const authorization = requireArmAction(ctx, DELETE, scope.scope, {
    ...(existing
      ? { resource: { roleDefinitionId: existing.roleDefinitionName, principalId: existing.principalId, principalType: existing.principalType } }
      : {}),
  });
  const removed = tenant.deleteRoleAssignment(id);
  if (!removed) return json(204);
  publishArmOperation(req, ctx, { kind: 'delete', resourceId: removed.id, operationName: DELETE, authorization });
  return json(200, renderRoleAssignment(removed));
}

const roleAssignmentNotFound = (name: string) => new EmulatorHttpError(404, 'RoleAssignmentNotFound', `The role assignment '${name}' is not found.`);

const collection = path('{scope*}/providers/Microsoft.Authorization/roleAssignments');
const item = path('{scope*}/providers/Microsoft.Authorization/roleAssignments/{name}');
const route = armRoute('roleAssignments', API_VERSIONS.authorization);

export const roleAssignmentRoutes: Route[] = [
  route('list', 'GET', collection, list),
  route('get', 'GET', item, get),
  route('create', 'PUT', item, create),
  route('delete', 'DELETE', item, remove),
];
