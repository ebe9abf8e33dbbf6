import { json, type EmulatorRequest } from '../server/exchange.ts';
import { path, type Route, type RouteContext } from '../server/route.ts';
import type { Subscription } from '../state/model.ts';
import { scopeNotFound, type Tenant } from '../state/tenant.ts';
import { canActWithin } from './access.ts';
import { API_VERSIONS } from './api-versions.ts';
import { armRoute } from './arm-route.ts';
import { paginate } from './paging.ts';
import { allowQueryOptions } from './query.ts';

/**
 * Microsoft.Resources subscriptions: `GET /subscriptions` lists the subscriptions the caller has any
 * access in (at, above or below the subscription); `GET /subscriptions/{id}` answers 404 for the others, as ARM does.
 */
const READ = 'Microsoft.Resources/subscriptions/read';

export function renderSubscription(subscription: Subscription, tenant: Tenant) {
  return {
    id: `/subscriptions/${subscription.subscriptionId}`,
    subscriptionId: subscription.subscriptionId,
    tenantId: tenant.tenantId,
    displayName: subscription.displayName,
    state: 'Enabled',
    subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'PayAsYouGo_2014-09-01', spendingLimit: 'Off' },
    authorizationSource: 'RoleBased',
    managedByTenants: [],
    tags: {},
  };
}

const visible = (ctx: RouteContext, subscription: Subscription) => canActWithin(ctx, READ, `/subscriptions/${subscription.subscriptionId}`);

function list(req: EmulatorRequest, ctx: RouteContext) {
  allowQueryOptions(req, 'subscription lists', ['$skiptoken']);
  const tenant = ctx.core.tenant;
  const subscriptions = [...tenant.subscriptions.values()].filter((subscription) => visible(ctx, subscription));
  return json(200, paginate(req, subscriptions.map((subscription) => renderSubscription(subscription, tenant)), ctx.core.armPageSizes.subscriptions, '$skiptoken'));
}

function get(_req: EmulatorRequest, ctx: RouteContext) {
  const tenant = ctx.core.tenant;
  const subscription = tenant.subscriptions.get(ctx.params['subscription']!.toLowerCase());
  if (!subscription || !visible(ctx, subscription)) throw scopeNotFound(`/subscriptions/${ctx.params['subscription']}`);
  return json(200, renderSubscription(subscription, tenant));
}

const route = armRoute('subscriptions', API_VERSIONS.subscriptions);

export const subscriptionRoutes: Route[] = [route('list', 'GET', path('/subscriptions'), list), route('get', 'GET', path('/subscriptions/{subscription}'), get)];
