import { requireGraphPermission } from '../authz/require.ts';
import { json } from '../server/exchange.ts';
import { graphPath, type Route, type RouteContext } from '../server/route.ts';
import type { AppRoleAssignment } from '../state/model.ts';
import { byId, resourceNotFound, servicePrincipalOr404 } from './directory.ts';
import { allowQueryOptions, collection, versionOf } from './odata.ts';
import { PERMISSIONS } from './permissions.ts';
import { renderAppRoleAssignment } from './render.ts';

/**
 * App-role grants seen from both ends: what a principal holds (appRoleAssignments) and what a
 * resource has granted (appRoleAssignedTo); both can be listed and deleted.
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

export const appRoleAssignmentRoutes: Route[] = [
  listRoute('appRoleAssignments'),
  deleteRoute('appRoleAssignments'),
  listRoute('appRoleAssignedTo'),
  deleteRoute('appRoleAssignedTo'),
];
