import { renderUserAssignedIdentity } from '../arm/identities.ts';
import { renderResourceGroup } from '../arm/resource-groups.ts';
import { renderResource } from '../arm/resources.ts';
import { renderRoleAssignment } from '../arm/role-assignments.ts';
import { renderRoleDefinition } from '../arm/role-definitions.ts';
import { idKey, parseScope } from '../state/ids.ts';
import type { GenericResource, RoleAssignment, RoleDefinition, UserAssignedIdentity } from '../state/model.ts';
import type { Tenant } from '../state/tenant.ts';
import type { Column, Row } from './kql/evaluator.ts';
import type { Visibility } from './visibility.ts';

/**
 * The Resource Graph tables the emulator serves. Each row carries the resource as ARM renders it (the
 * same renderers as the ARM routes) in ARG's columns: types and `resourceGroup` lower-cased, absent
 * strings as "" and absent objects as null.
 */
const COLUMNS: readonly Column[] = [
  { name: 'id', type: 'string' },
  { name: 'name', type: 'string' },
  { name: 'type', type: 'string' },
  { name: 'tenantId', type: 'string' },
  { name: 'kind', type: 'string' },
  { name: 'location', type: 'string' },
  { name: 'resourceGroup', type: 'string' },
  { name: 'subscriptionId', type: 'string' },
  { name: 'managedBy', type: 'string' },
  { name: 'sku', type: 'dynamic' },
  { name: 'plan', type: 'dynamic' },
  { name: 'properties', type: 'dynamic' },
  { name: 'tags', type: 'dynamic' },
  { name: 'identity', type: 'dynamic' },
  { name: 'zones', type: 'dynamic' },
  { name: 'extendedLocation', type: 'dynamic' },
];

export const TABLE_SCHEMAS: Readonly<Record<string, readonly Column[]>> = {
  resources: COLUMNS,
  resourcecontainers: COLUMNS,
  authorizationresources: COLUMNS,
};

export type AuthorizationScopeFilter = 'AtScopeAndBelow' | 'AtScopeAndAbove' | 'AtScopeExact' | 'AtScopeAboveAndBelow';

export interface QueryScope {
  /** What the request named: subscriptions, management groups, or "/" for the caller's whole tenant. */
  scopes: string[];
  /** How authorizationresources rows relate to the scopes (ARG's options.authorizationScopeFilter). */
  authorizationScopeFilter: AuthorizationScopeFilter;
}

interface TableContext {
  tenant: Tenant;
  scope: QueryScope;
  visibility: Visibility;
  /** The role assignments the index holds: the tenant's, or an older view of them (lag.ts). */
  roleAssignments: Iterable<RoleAssignment>;
}

const ROLE_ASSIGNMENTS_READ = 'Microsoft.Authorization/roleAssignments/read';
const ROLE_DEFINITIONS_READ = 'Microsoft.Authorization/roleDefinitions/read';

/** One row: the resource as it goes over the wire (JSON, so absent properties are absent) in ARG's columns. */
function row(tenant: Tenant, resource: { id: string; name: string; type: string; [column: string]: unknown }): Row {
  const fields = JSON.parse(JSON.stringify(resource)) as Row;
  const parsed = parseScope(resource.id);
  return {
    tenantId: tenant.tenantId,
    kind: '',
    location: '',
    resourceGroup: parsed?.resourceGroup?.toLowerCase() ?? '',
    subscriptionId: parsed?.subscriptionId ?? '',
    managedBy: '',
    sku: null,
    plan: null,
    properties: {},
    tags: {},
    identity: null,
    zones: null,
    extendedLocation: null,
    ...fields,
    // ARM answers types in their registered casing; ARG always in lower case.
    type: resource.type.toLowerCase(),
  };
}

const withinQuery = (ctx: TableContext, scope: string) => ctx.scope.scopes.some((queryScope) => ctx.tenant.isWithin(scope, queryScope));

function genericResourceRow(tenant: Tenant, resource: GenericResource): Row {
  const rendered = renderResource(resource, tenant);
  return row(tenant, { ...rendered, identity: rendered.identity ?? null });
}

function userAssignedIdentityRow(tenant: Tenant, identity: UserAssignedIdentity): Row {
  // As the MSI resource provider answers it (ids with `resourcegroups` in lower case), without version-specific properties.
  return row(tenant, renderUserAssignedIdentity(identity, tenant.tenantId, null));
}

function resourcesTable(ctx: TableContext): Row[] {
  const { tenant, visibility } = ctx;
  const visible = (id: string, type: string) => withinQuery(ctx, id) && visibility.canRead(`${type}/read`, id);
  return [
    ...[...tenant.resources.values()].filter((r) => visible(r.id, r.type)).map((r) => genericResourceRow(tenant, r)),
    ...[...tenant.userAssignedIdentities.values()]
      .filter((uami) => visible(uami.id, 'Microsoft.ManagedIdentity/userAssignedIdentities'))
      .map((uami) => userAssignedIdentityRow(tenant, uami)),
  ];
}

function resourceContainersTable(ctx: TableContext): Row[] {
  const { tenant, visibility } = ctx;
  const rows: Row[] = [];
  for (const subscription of tenant.subscriptions.values()) {
    const id = `/subscriptions/${subscription.subscriptionId}`;
    if (!withinQuery(ctx, id) || !visibility.canRead('Microsoft.Resources/subscriptions/read', id)) continue;
    const managementGroupAncestorsChain = tenant
      .ancestors(id)
      .map((scope) => parseScope(scope))
      .filter((parsed) => parsed?.kind === 'managementGroup')
      .map((parsed) => {
        const group = tenant.managementGroups.get(parsed!.managementGroup!.toLowerCase());
        return { name: parsed!.managementGroup!, displayName: group?.displayName ?? parsed!.managementGroup! };
      });
    rows.push(
      row(tenant, {
        id,
        name: subscription.displayName,
        type: 'Microsoft.Resources/subscriptions',
        properties: { state: 'Enabled', managementGroupAncestorsChain },
      }),
    );
  }
  for (const group of tenant.resourceGroups.values()) {
    if (!withinQuery(ctx, group.id) || !visibility.canRead('Microsoft.Resources/subscriptions/resourceGroups/read', group.id)) continue;
    // ARG files resource groups under their full type, where ARM answers Microsoft.Resources/resourceGroups.
    rows.push(row(tenant, { ...renderResourceGroup(group), type: 'Microsoft.Resources/subscriptions/resourceGroups' }));
  }
  return rows;
}

/**
 * How a row at `rowScope` relates to the query under the authorization scope filter: the scope at which the
 * caller's read permission is checked when the row belongs, undefined when it does not.
 */
function authorizationScopeFor(ctx: TableContext, rowScope: string): string | undefined {
  const filter = ctx.scope.authorizationScopeFilter;
  for (const queryScope of ctx.scope.scopes) {
    const below = ctx.tenant.isWithin(rowScope, queryScope);
    const above = ctx.tenant.isWithin(queryScope, rowScope);
    const exact = idKey(rowScope) === idKey(queryScope);
    if (filter === 'AtScopeExact' && exact) return rowScope;
    if ((filter === 'AtScopeAndBelow' || filter === 'AtScopeAboveAndBelow') && below) return rowScope;
    // An inherited assignment is visible to whoever may read at the scope that inherits it.
    if ((filter === 'AtScopeAndAbove' || filter === 'AtScopeAboveAndBelow') && above) return queryScope;
  }
  return undefined;
}

function roleAssignmentRow(tenant: Tenant, assignment: RoleAssignment): Row {
  const parsed = parseScope(assignment.scope);
  return row(tenant, {
    ...renderRoleAssignment(assignment),
    resourceGroup: parsed?.resourceGroup?.toLowerCase() ?? '',
    subscriptionId: parsed?.subscriptionId ?? '',
    tags: null,
  });
}

function roleDefinitionRow(tenant: Tenant, definition: RoleDefinition, scope: string): Row {
  const parsed = parseScope(scope);
  return row(tenant, { ...renderRoleDefinition(definition, scope), subscriptionId: parsed?.subscriptionId ?? '', tags: null });
}

function authorizationResourcesTable(ctx: TableContext): Row[] {
  const { tenant, visibility } = ctx;
  const rows: Row[] = [];
  for (const assignment of ctx.roleAssignments) {
    const checkAt = authorizationScopeFor(ctx, assignment.scope);
    if (checkAt !== undefined && visibility.canRead(ROLE_ASSIGNMENTS_READ, checkAt)) rows.push(roleAssignmentRow(tenant, assignment));
  }
  for (const definition of tenant.roleDefinitions.values()) {
    // Built-in roles are tenant-wide facts every principal of the tenant may read: listed once, at the root.
    if (definition.roleType === 'BuiltInRole') {
      rows.push(roleDefinitionRow(tenant, definition, '/'));
      continue;
    }
    const visibleAt = definition.assignableScopes.some((assignable) => {
      const checkAt = authorizationScopeFor(ctx, assignable);
      return checkAt !== undefined && visibility.canRead(ROLE_DEFINITIONS_READ, checkAt);
    });
    // A custom role lives at its first assignable scope, where it was defined.
    if (visibleAt) rows.push(roleDefinitionRow(tenant, definition, definition.assignableScopes[0]!));
  }
  return rows;
}

const BUILDERS: Record<string, (ctx: TableContext) => Row[]> = {
  resources: resourcesTable,
  resourcecontainers: resourceContainersTable,
  authorizationresources: authorizationResourcesTable,
};

/** The rows of one table the caller may see within the query's scope, in a stable order (by id). */
export function tableRows(table: string, tenant: Tenant, scope: QueryScope, visibility: Visibility, roleAssignments: Iterable<RoleAssignment> = tenant.roleAssignments.values()): Row[] {
  const build = BUILDERS[table];
  if (!build) throw new Error(`no Resource Graph table '${table}'`);
  const rows = build({ tenant, scope, visibility, roleAssignments });
  const key = (r: Row) => idKey(r['id'] as string);
  return rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
