import { requireGraphPermission } from '../authz/require.ts';
import { graphPath, type Route } from '../server/route.ts';
import type { ServicePrincipal } from '../state/model.ts';
import { byId, resourceNotFound, servicePrincipalOr404 } from './directory.ts';
import { allowQueryOptions, collection, entity, parseFilter, versionOf, type FilterSpec } from './odata.ts';
import { PERMISSIONS } from './permissions.ts';
import { renderServicePrincipal } from './render.ts';

/** GET /servicePrincipals (filter, select, top, count, paging), by id and by appId. */

export const SERVICE_PRINCIPAL_FILTER: FilterSpec<ServicePrincipal> = {
  resource: 'ServicePrincipal',
  properties: {
    id: { operators: ['eq', 'in'], value: (principal) => principal.id },
    appId: { operators: ['eq', 'in'], value: (principal) => principal.appId },
    displayName: { operators: ['eq', 'in', 'startswith'], value: (principal) => principal.displayName },
    servicePrincipalType: { operators: ['eq', 'in'], value: (principal) => principal.servicePrincipalType },
  },
};

export const servicePrincipalRoutes: Route[] = [
  {
    name: 'graph.servicePrincipals.list',
    method: 'GET',
    service: 'graph',
    pattern: graphPath('/servicePrincipals'),
    handle(req, ctx) {
      allowQueryOptions(req, 'GET /servicePrincipals', ['$filter', '$select', '$top', '$skiptoken', '$count']);
      requireGraphPermission(ctx, PERMISSIONS.readServicePrincipals);
      const version = versionOf(ctx.params);
      const matches = parseFilter(req.query.get('$filter'), SERVICE_PRINCIPAL_FILTER);
      const items = [...ctx.core.tenant.servicePrincipals.values()].filter(matches).sort(byId);
      return collection(req, {
        version,
        context: 'servicePrincipals',
        typeName: 'servicePrincipal',
        items,
        render: (principal) => renderServicePrincipal(principal, ctx.core.tenant),
      });
    },
  },
  {
    name: 'graph.servicePrincipals.getByAppId',
    method: 'GET',
    service: 'graph',
    // The quotes of the alternate key may arrive percent-encoded.
    pattern: /^\/(?<version>[^/]+)\/servicePrincipals\(appId=(?:'|%27)(?<appId>[^/']+?)(?:'|%27)\)$/i,
    handle(req, ctx) {
      allowQueryOptions(req, "GET /servicePrincipals(appId='{appId}')", ['$select']);
      requireGraphPermission(ctx, PERMISSIONS.readServicePrincipals);
      const appId = ctx.params['appId']!;
      const principal = ctx.core.tenant.servicePrincipalByAppId(appId);
      if (!principal) throw resourceNotFound(appId);
      const version = versionOf(ctx.params);
      return entity(req, version, 'servicePrincipals', 'servicePrincipal', renderServicePrincipal(principal, ctx.core.tenant));
    },
  },
  {
    name: 'graph.servicePrincipals.get',
    method: 'GET',
    service: 'graph',
    pattern: graphPath('/servicePrincipals/{id}'),
    handle(req, ctx) {
      allowQueryOptions(req, 'GET /servicePrincipals/{id}', ['$select']);
      requireGraphPermission(ctx, PERMISSIONS.readServicePrincipals);
      const principal = servicePrincipalOr404(ctx, ctx.params['id']!);
      const version = versionOf(ctx.params);
      return entity(req, version, 'servicePrincipals', 'servicePrincipal', renderServicePrincipal(principal, ctx.core.tenant));
    },
  },
];
