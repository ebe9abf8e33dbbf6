import { requireGraphPermission } from '../authz/require.ts';
import { NotImplementedByEmulator } from '../server/errors.ts';
import { graphPath, type Route } from '../server/route.ts';
import type { DirectoryRoleAssignment, DirectoryRoleDefinition } from '../state/model.ts';
import { byId, resourceNotFound } from './directory.ts';
import { allowQueryOptions, collection, entity, parseFilter, versionOf, type FilterSpec } from './odata.ts';
import { PERMISSIONS, readableTypes } from './permissions.ts';
import { renderMember, renderRoleAssignment, renderRoleDefinition } from './render.ts';

/** The directory RBAC provider: Entra role assignments and the built-in role definitions. */

const ASSIGNMENT_FILTER: FilterSpec<DirectoryRoleAssignment> = {
  resource: 'UnifiedRoleAssignment',
  properties: {
    principalId: { operators: ['eq', 'in'], value: (assignment) => assignment.principalId },
    roleDefinitionId: { operators: ['eq', 'in'], value: (assignment) => assignment.roleDefinitionId },
    directoryScopeId: { operators: ['eq'], value: (assignment) => assignment.directoryScopeId },
  },
};

const DEFINITION_FILTER: FilterSpec<DirectoryRoleDefinition> = {
  resource: 'UnifiedRoleDefinition',
  properties: {
    id: { operators: ['eq', 'in'], value: (role) => role.templateId },
    templateId: { operators: ['eq', 'in'], value: (role) => role.templateId },
    displayName: { operators: ['eq', 'in', 'startswith'], value: (role) => role.displayName },
  },
};

/** `$expand=principal` is the one expansion the emulator renders. */
function expandsPrincipal(expand: string | null): boolean {
  if (expand === null) return false;
  if (expand.trim().toLowerCase() === 'principal') return true;
  throw new NotImplementedByEmulator(`$expand=${expand} on roleAssignments (only $expand=principal)`);
}

export const roleManagementRoutes: Route[] = [
  {
    name: 'graph.roleManagement.roleAssignments.list',
    method: 'GET',
    service: 'graph',
    pattern: graphPath('/roleManagement/directory/roleAssignments'),
    handle(req, ctx) {
      allowQueryOptions(req, 'GET /roleManagement/directory/roleAssignments', ['$filter', '$expand', '$select', '$top', '$skiptoken', '$count']);
      requireGraphPermission(ctx, PERMISSIONS.readDirectoryRoles);
      const version = versionOf(ctx.params);
      const { tenant } = ctx.core;
      const expand = expandsPrincipal(req.query.get('$expand'));
      const readable = readableTypes(ctx);
      const matches = parseFilter(req.query.get('$filter'), ASSIGNMENT_FILTER);
      return collection(req, {
        version,
        context: expand ? 'roleManagement/directory/roleAssignments(principal())' : 'roleManagement/directory/roleAssignments',
        typeName: 'unifiedRoleAssignment',
        items: [...tenant.directoryRoleAssignments.values()].filter(matches).sort(byId),
        render: (assignment) => {
          const rendered = renderRoleAssignment(assignment);
          if (!expand) return rendered;
          const principal = tenant.directoryObject(assignment.principalId);
          return { ...rendered, principal: principal ? renderMember(principal, tenant, readable(principal.kind)) : null };
        },
      });
    },
  },
  {
    name: 'graph.roleManagement.roleDefinitions.list',
    method: 'GET',
    service: 'graph',
    pattern: graphPath('/roleManagement/directory/roleDefinitions'),
    handle(req, ctx) {
      allowQueryOptions(req, 'GET /roleManagement/directory/roleDefinitions', ['$filter', '$select', '$top', '$skiptoken']);
      requireGraphPermission(ctx, PERMISSIONS.readDirectoryRoles);
      const version = versionOf(ctx.params);
      const matches = parseFilter(req.query.get('$filter'), DEFINITION_FILTER);
      return collection(req, {
        version,
        context: 'roleManagement/directory/roleDefinitions',
        typeName: 'unifiedRoleDefinition',
        items: [...ctx.core.tenant.directoryRoles.values()].filter(matches).sort((a, b) => a.displayName.localeCompare(b.displayName)),
        render: (role) => renderRoleDefinition(role, version),
      });
    },
  },
  {
    name: 'graph.roleManagement.roleDefinitions.get',
    method: 'GET',
    service: 'graph',
    pattern: graphPath('/roleManagement/directory/roleDefinitions/{id}'),
    handle(req, ctx) {
      allowQueryOptions(req, 'GET /roleManagement/directory/roleDefinitions/{id}', ['$select']);
      requireGraphPermission(ctx, PERMISSIONS.readDirectoryRoles);
      const id = ctx.params['id']!;
      const role = ctx.core.tenant.directoryRoles.get(id.toLowerCase());
      if (!role) throw resourceNotFound(id);
      const version = versionOf(ctx.params);
      return entity(req, version, 'roleManagement/directory/roleDefinitions', 'unifiedRoleDefinition', renderRoleDefinition(role, version));
    },
  },
];
