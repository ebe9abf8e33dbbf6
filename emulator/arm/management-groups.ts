import { requireArmAction } from '../authz/require.ts';
import { authorize } from '../authz/rbac.ts';
import { NotImplementedByEmulator } from '../server/errors.ts';
import { json, type EmulatorRequest } from '../server/exchange.ts';
import { path, type Route, type RouteContext } from '../server/route.ts';
import type { ManagementGroup } from '../state/model.ts';
import { managementGroupScope, scopeNotFound, type Tenant } from '../state/tenant.ts';
import { SEED_EPOCH } from '../seed/load.ts';
import { API_VERSIONS } from './api-versions.ts';
import { armRoute } from './arm-route.ts';
import { paginate, topPageSize } from './paging.ts';
import { allowQueryOptions, queryParam } from './query.ts';
import { armTime } from './render.ts';

/**
 * Microsoft.Management management groups: the list of groups the caller can read, one group with
 * `$expand=children` (and `$recurse=true` for the whole tree below it), and a group's descendants.
 */
const GROUP_TYPE = 'Microsoft.Management/managementGroups';
const READ = `${GROUP_TYPE}/read`;

const childGroups = (tenant: Tenant, name: string) => [...tenant.managementGroups.values()].filter((group) => group.parent?.toLowerCase() === name.toLowerCase());
const childSubscriptions = (tenant: Tenant, name: string) =>
  [...tenant.subscriptions.values()].filter((subscription) => subscription.managementGroup.toLowerCase() === name.toLowerCase());

/** ManagementGroupChildInfo: groups first, then subscriptions (typed `/subscriptions`), nested when recursing. */
function renderChildren(tenant: Tenant, name: string, recurse: boolean): unknown[] {
  return [
    ...childGroups(tenant, name).map((group) => ({
      id: managementGroupScope(group.name),
      type: GROUP_TYPE,
      name: group.name,
      displayName: group.displayName,
      ...(recurse ? { children: renderChildren(tenant, group.name, true) } : {}),
    })),
    ...childSubscriptions(tenant, name).map((subscription) => ({
      id: `/subscriptions/${subscription.subscriptionId}`,
      type: '/subscriptions',
      name: subscription.subscriptionId,
      displayName: subscription.displayName,
    })),
  ];
}

/** A group as ARM lists it: identity, tenant and display name. */
const renderSummary = (tenant: Tenant, group: ManagementGroup) => ({
  id: managementGroupScope(group.name),
  type: GROUP_TYPE,
  name: group.name,
  properties: { tenantId: tenant.tenantId, displayName: group.displayName },
});

/** A group as ARM gets it: the summary plus its details (version, parent). */
function renderGroup(tenant: Tenant, group: ManagementGroup) {
  const summary = renderSummary(tenant, group);
  const parent = group.parent === undefined ? undefined : tenant.managementGroups.get(group.parent.toLowerCase());
  const details = {
    version: 1,
    // The emulator does not track changes to the hierarchy: groups date from the seed.
    updatedTime: armTime(SEED_EPOCH),
    parent: parent ? { id: managementGroupScope(parent.name), name: parent.name, displayName: parent.displayName } : null,
  };
  return { ...summary, properties: { ...summary.properties, details } };
}

function list(req: EmulatorRequest, ctx: RouteContext) {
  allowQueryOptions(req, 'management group lists', ['$skiptoken']);
  const tenant = ctx.core.tenant;
  const readable = [...tenant.managementGroups.values()].filter(
    (group) => authorize(tenant, ctx.caller!.principalId, READ, managementGroupScope(group.name)).allowed,
  );
  const rendered = readable.map((group) => renderSummary(tenant, group));
  return json(200, paginate(req, rendered, ctx.core.armPageSizes.managementGroups, '$skiptoken'));
}

/**
 * The group a request names, after the permission check: a caller without access learns nothing (403).
 * An unknown group sits nowhere in the hierarchy, so only a reader of the tenant root group gets its 404.
 */
function readableGroup(ctx: RouteContext, action: string): ManagementGroup {
  const tenant = ctx.core.tenant;
  const scope = managementGroupScope(ctx.params['group']!);
  const group = tenant.managementGroups.get(ctx.params['group']!.toLowerCase());
  if (!group && authorize(tenant, ctx.caller!.principalId, action, managementGroupScope(tenant.rootManagementGroup)).allowed) throw scopeNotFound(scope);
  requireArmAction(ctx, action, scope);
  if (!group) throw scopeNotFound(scope);
  return group;
}

function get(req: EmulatorRequest, ctx: RouteContext) {
  allowQueryOptions(req, 'management group get', ['$expand', '$recurse']);
  const expand = queryParam(req, '$expand');
  if (expand !== undefined && expand.toLowerCase() !== 'children') throw new NotImplementedByEmulator(`$expand=${expand} on management groups (only children)`);
  const group = readableGroup(ctx, READ);
  const rendered = renderGroup(ctx.core.tenant, group);
  if (expand === undefined) return json(200, rendered);
  const recurse = queryParam(req, '$recurse')?.toLowerCase() === 'true';
  return json(200, { ...rendered, properties: { ...rendered.properties, children: renderChildren(ctx.core.tenant, group.name, recurse) } });
}

/** Every group and subscription below the group, parents before children, each naming its parent. */
function descendants(req: EmulatorRequest, ctx: RouteContext) {
  allowQueryOptions(req, 'management group descendants', ['$skiptoken', '$top']);
  const tenant = ctx.core.tenant;
  const root = readableGroup(ctx, `${GROUP_TYPE}/descendants/read`);
  const found: unknown[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const group = pending.shift()!;
    const parent = { id: managementGroupScope(group.name) };
    for (const child of childGroups(tenant, group.name)) {
      found.push({ id: managementGroupScope(child.name), type: GROUP_TYPE, name: child.name, properties: { displayName: child.displayName, parent } });
      pending.push(child);
    }
    for (const subscription of childSubscriptions(tenant, group.name)) {
      found.push({
        id: `/subscriptions/${subscription.subscriptionId}`,
        type: `${GROUP_TYPE}/subscriptions`,
        name: subscription.subscriptionId,
        properties: { displayName: subscription.displayName, parent },
      });
    }
  }
  return json(200, paginate(req, found, topPageSize(req, ctx.core.armPageSizes.managementGroups), '$skiptoken'));
}

const route = armRoute('managementGroups', API_VERSIONS.managementGroups);

export const managementGroupRoutes: Route[] = [
  route('list', 'GET', path(`/providers/${GROUP_TYPE}`), list),
  route('get', 'GET', path(`/providers/${GROUP_TYPE}/{group}`), get),
  route('descendants', 'GET', path(`/providers/${GROUP_TYPE}/{group}/descendants`), descendants),
];
