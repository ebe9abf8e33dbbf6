import { requireGraphPermission } from '../authz/require.ts';
import { graphPath, type Route, type RouteContext } from '../server/route.ts';
import type { EmulatorRequest, EmulatorResponse } from '../server/exchange.ts';
import type { DirectoryRoleDefinition, Group } from '../state/model.ts';
import { groupOr404, servicePrincipalOr404 } from './directory.ts';
import { allowQueryOptions, collection, entity, versionOf } from './odata.ts';
import { PERMISSIONS, readableTypes } from './permissions.ts';
import { renderGroup, renderMember, type Member } from './render.ts';

/**
 * Group membership in both directions, for effective-privilege rules: a group and its (transitive)
 * members, and the groups and directory roles a service principal is (transitively) a member of.
 */

const LIST_OPTIONS = ['$select', '$top', '$skiptoken', '$count'];

/** A directoryObject collection; members the caller may not read keep only @odata.type and id. */
function members(req: EmulatorRequest, ctx: RouteContext, items: Member[]): EmulatorResponse {
  const version = versionOf(ctx.params);
  const readable = readableTypes(ctx);
  return collection(req, {
    version,
    context: 'directoryObjects',
    typeName: 'directoryObject',
    items,
    render: (member) => renderMember(member, ctx.core.tenant, readable(member.kind)),
  });
}

const asMembers = (groups: Group[]): Member[] => groups.map((group) => ({ kind: 'group', object: group }));
const rolesAsMembers = (roles: DirectoryRoleDefinition[]): Member[] => roles.map((role) => ({ kind: 'directoryRole', object: role }));

export const groupRoutes: Route[] = [
  {
    name: 'graph.groups.get',
    method: 'GET',
    service: 'graph',
    pattern: graphPath('/groups/{id}'),
    handle(req, ctx) {
      allowQueryOptions(req, 'GET /groups/{id}', ['$select']);
      requireGraphPermission(ctx, PERMISSIONS.readGroups);
      const group = groupOr404(ctx, ctx.params['id']!);
      return entity(req, versionOf(ctx.params), 'groups', 'group', renderGroup(group));
    },
  },
  {
    name: 'graph.groups.members',
    method: 'GET',
    service: 'graph',
    pattern: graphPath('/groups/{id}/members'),
    handle(req, ctx) {
      allowQueryOptions(req, 'GET /groups/{id}/members', LIST_OPTIONS);
      requireGraphPermission(ctx, PERMISSIONS.readGroups);
      const group = groupOr404(ctx, ctx.params['id']!);
      return members(req, ctx, ctx.core.tenant.directMembersOf(group));
    },
  },
  {
    name: 'graph.groups.transitiveMembers',
    method: 'GET',
    service: 'graph',
    pattern: graphPath('/groups/{id}/transitiveMembers'),
    handle(req, ctx) {
      allowQueryOptions(req, 'GET /groups/{id}/transitiveMembers', LIST_OPTIONS);
      requireGraphPermission(ctx, PERMISSIONS.readGroupMembers);
      const group = groupOr404(ctx, ctx.params['id']!);
      return members(req, ctx, ctx.core.tenant.transitiveMembersOf(group));
    },
  },
  {
    name: 'graph.servicePrincipals.memberOf',
    method: 'GET',
    service: 'graph',
    pattern: graphPath('/servicePrincipals/{id}/memberOf'),
    handle(req, ctx) {
      allowQueryOptions(req, 'GET /servicePrincipals/{id}/memberOf', LIST_OPTIONS);
      requireGraphPermission(ctx, PERMISSIONS.readServicePrincipals);
      const principal = servicePrincipalOr404(ctx, ctx.params['id']!);
      const { tenant } = ctx.core;
      return members(req, ctx, [
        ...asMembers(tenant.directGroupsOf(principal.id)),
        ...rolesAsMembers(tenant.directoryRolesOf(new Set([principal.id.toLowerCase()]))),
      ]);
    },
  },
  {
    name: 'graph.servicePrincipals.transitiveMemberOf',
    method: 'GET',
    service: 'graph',
    pattern: graphPath('/servicePrincipals/{id}/transitiveMemberOf'),
    handle(req, ctx) {
      allowQueryOptions(req, 'GET /servicePrincipals/{id}/transitiveMemberOf', LIST_OPTIONS);
      requireGraphPermission(ctx, PERMISSIONS.readServicePrincipals);
      const principal = servicePrincipalOr404(ctx, ctx.params['id']!);
      const { tenant } = ctx.core;
      // Roles held through a (role-assignable) group count too: the principal is a transitive member of them.
      return members(req, ctx, [
        ...asMembers(tenant.transitiveGroupsOf(principal.id)),
        ...rolesAsMembers(tenant.directoryRolesOf(tenant.securityIdentities(principal.id))),
      ]);
    },
  },
];
