import { z } from 'zod';
import { requireGraphPermission } from '../authz/require.ts';
import { EmulatorHttpError } from '../server/errors.ts';
import { json, type EmulatorRequest } from '../server/exchange.ts';
import { graphPath, type Route, type RouteContext } from '../server/route.ts';
import { GUID } from '../state/ids.ts';
import type { AppRoleAssignment } from '../state/model.ts';
import { byId, resourceNotFound, servicePrincipalOr404 } from './directory.ts';
import { allowQueryOptions, collection, contextUrl, versionOf } from './odata.ts';
import { PERMISSIONS } from './permissions.ts';
import { renderAppRoleAssignment } from './render.ts';

/**
 * App-role grants seen from both ends: what a principal holds (appRoleAssignments) and what a
 * resource has granted (appRoleAssignedTo); both can be listed and deleted. A grant is created through
 * the principal's end (POST appRoleAssignments); POST appRoleAssignedTo is not implemented (501).
 */

type Side = 'appRoleAssignments' | 'appRoleAssignedTo';

const grantsOf = (ctx: RouteContext, side: Side, servicePrincipalId: string): AppRoleAssignment[] =>
  side === 'appRoleAssignments' ? ctx.core.tenant.appRoleAssignmentsOf(servicePrincipalId) : ctx.core.tenant.appRoleAssignmentsTo(servicePrincipalId);

function listRoute(side: Side): Route {
  return {
    name: `graph.servicePrincipals.${side}.list`,
    method: 'GET',
    service: 'graph',
    pattern: graphPath(`/servicePrincipals/{id}/${side}`),
    handle(req, ctx) {
      allowQueryOptions(req, `GET /servicePrincipals/{id}/${side}`, ['$select', '$top', '$skiptoken', '$count']);
      requireGraphPermission(ctx, PERMISSIONS.readServicePrincipals);
      const principal = servicePrincipalOr404(ctx, ctx.params['id']!);
      return collection(req, {
        version: versionOf(ctx.params),
        context: 'appRoleAssignments',
        typeName: 'appRoleAssignment',
        items: grantsOf(ctx, side, principal.id).sort(byId),
        render: (grant) => renderAppRoleAssignment(grant, ctx.core.tenant),
      });
    },
  };
}

function deleteRoute(side: Side): Route {
  return {
    name: `graph.servicePrincipals.${side}.delete`,
    method: 'DELETE',
    service: 'graph',
    pattern: graphPath(`/servicePrincipals/{id}/${side}/{assignmentId}`),
    handle(_req, ctx) {
      requireGraphPermission(ctx, PERMISSIONS.deleteAppRoleAssignments);
      const principal = servicePrincipalOr404(ctx, ctx.params['id']!);
      const assignmentId = ctx.params['assignmentId']!;
      const grant = grantsOf(ctx, side, principal.id).find((candidate) => candidate.id === assignmentId);
      if (!grant) throw resourceNotFound(assignmentId);
      ctx.core.tenant.revokeAppRole(grant.id);
      return json(204);
    },
  };
}

const GrantBody = z.object({ principalId: z.string().regex(GUID), resourceId: z.string().regex(GUID), appRoleId: z.string().regex(GUID) });

const badRequest = (message: string) => new EmulatorHttpError(400, 'Request_BadRequest', message);

/** POST /servicePrincipals/{id}/appRoleAssignments: 201 with the new grant, or Graph's 400s for a bad or duplicate one. */
function grant(req: EmulatorRequest, ctx: RouteContext) {
  requireGraphPermission(ctx, PERMISSIONS.grantAppRoleAssignments);
  const principal = servicePrincipalOr404(ctx, ctx.params['id']!);
  const body = GrantBody.safeParse(req.body);
  if (!body.success) throw badRequest('One or more properties are invalid.');
  const { principalId, resourceId, appRoleId } = body.data;
  if (principalId.toLowerCase() !== principal.id.toLowerCase()) throw badRequest(`The principalId '${principalId}' in the body is not the service principal '${principal.id}' of the request URL.`);
  const resource = ctx.core.tenant.servicePrincipals.get(resourceId.toLowerCase());
  if (!resource) throw resourceNotFound(resourceId);
  const appRole = resource.appRoles.find((role) => role.id.toLowerCase() === appRoleId.toLowerCase() && role.allowedMemberTypes.includes('Application'));
  if (!appRole) throw badRequest('Permission being assigned was not found on application.');
  const held = grantsOf(ctx, 'appRoleAssignments', principal.id).some((candidate) => candidate.resourceId.toLowerCase() === resource.id.toLowerCase() && candidate.appRoleId.toLowerCase() === appRole.id.toLowerCase());
  if (held) throw badRequest('Permission being assigned already exists on the object.');
  const granted = ctx.core.tenant.grantAppRole(principal.id, appRole.id, resource.id, req.receivedAt);
  return json(201, { '@odata.context': contextUrl(req, versionOf(ctx.params), 'appRoleAssignments/$entity'), ...renderAppRoleAssignment(granted, ctx.core.tenant) });
}

export const appRoleAssignmentRoutes: Route[] = [
  listRoute('appRoleAssignments'),
  { name: 'graph.servicePrincipals.appRoleAssignments.create', method: 'POST', service: 'graph', pattern: graphPath('/servicePrincipals/{id}/appRoleAssignments'), handle: grant },
  deleteRoute('appRoleAssignments'),
  listRoute('appRoleAssignedTo'),
  deleteRoute('appRoleAssignedTo'),
];
