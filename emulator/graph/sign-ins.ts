import { requireGraphPermission } from '../authz/require.ts';
import { EmulatorHttpError } from '../server/errors.ts';
import { path, type Route } from '../server/route.ts';
import { deriveGuid } from '../state/ids.ts';
import { resourceNotFound } from './directory.ts';
import { allowQueryOptions, collection, entity, parseFilter, type Entity, type FilterSpec } from './odata.ts';
import { PERMISSIONS } from './permissions.ts';
import { graphDate } from './render.ts';

/**
 * GET /beta/reports/servicePrincipalSignInActivities: one entry per appId that ever signed in,
 * keyed by base64 of the appId. A managed identity's token requests are app-only client sign-ins.
 */

interface SignIn {
  appId: string;
  at: Date;
}

const reportId = (appId: string) => Buffer.from(appId).toString('base64');

const SIGN_IN_FILTER: FilterSpec<SignIn> = {
  resource: 'ServicePrincipalSignInActivity',
  properties: {
    appId: { operators: ['eq', 'in'], value: (signIn) => signIn.appId },
    id: { operators: ['eq', 'in'], value: (signIn) => reportId(signIn.appId) },
  },
};

const activity = (signIn: SignIn | undefined) => ({
  lastSignInDateTime: signIn ? graphDate(signIn.at) : null,
  lastSignInRequestId: signIn ? deriveGuid('signIn', signIn.appId, signIn.at.toISOString()) : null,
});

function renderSignInActivity(signIn: SignIn): Entity {
  return {
    id: reportId(signIn.appId),
    appId: signIn.appId,
    applicationAuthenticationClientSignInActivity: activity(signIn),
    applicationAuthenticationResourceSignInActivity: activity(undefined),
    delegatedClientSignInActivity: activity(undefined),
    delegatedResourceSignInActivity: activity(undefined),
    lastSignInActivity: activity(signIn),
  };
}

const signInsOf = (signIns: Map<string, Date>): SignIn[] =>
  [...signIns].map(([appId, at]) => ({ appId, at })).sort((a, b) => a.appId.localeCompare(b.appId));

const REPORT = 'reports/servicePrincipalSignInActivities';

export const signInRoutes: Route[] = [
  {
    name: 'graph.signInActivities.list',
    method: 'GET',
    service: 'graph',
    pattern: path('/beta/reports/servicePrincipalSignInActivities'),
    handle(req, ctx) {
      allowQueryOptions(req, 'GET /beta/reports/servicePrincipalSignInActivities', ['$filter', '$top', '$skiptoken']);
      requireGraphPermission(ctx, PERMISSIONS.readSignInActivity);
      const matches = parseFilter(req.query.get('$filter'), SIGN_IN_FILTER);
      return collection(req, {
        version: 'beta',
        context: REPORT,
        typeName: 'servicePrincipalSignInActivity',
        items: signInsOf(ctx.core.tenant.lastSignIn).filter(matches),
        render: renderSignInActivity,
      });
    },
  },
  {
    name: 'graph.signInActivities.get',
    method: 'GET',
    service: 'graph',
    pattern: path('/beta/reports/servicePrincipalSignInActivities/{id}'),
    handle(req, ctx) {
      allowQueryOptions(req, 'GET /beta/reports/servicePrincipalSignInActivities/{id}', ['$select']);
      requireGraphPermission(ctx, PERMISSIONS.readSignInActivity);
      const id = ctx.params['id']!;
      const signIn = signInsOf(ctx.core.tenant.lastSignIn).find((candidate) => reportId(candidate.appId) === id);
      if (!signIn) throw resourceNotFound(id);
      return entity(req, 'beta', REPORT, 'servicePrincipalSignInActivity', renderSignInActivity(signIn));
    },
  },
  {
    // The report exists only in beta; v1.0 does not know the segment.
    name: 'graph.signInActivities.v1',
    method: 'GET',
    service: 'graph',
    pattern: /^\/v1\.0\/reports\/servicePrincipalSignInActivities(\/[^/]+)?$/i,
    handle() {
      throw new EmulatorHttpError(400, 'BadRequest', "Resource not found for the segment 'servicePrincipalSignInActivities'.");
    },
  },
];
