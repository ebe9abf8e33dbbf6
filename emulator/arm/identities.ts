import { z } from 'zod';
import { requireArmAction } from '../authz/require.ts';
import { EmulatorHttpError, NotImplementedByEmulator } from '../server/errors.ts';
import { json, type EmulatorRequest } from '../server/exchange.ts';
import { path, type Route, type RouteContext } from '../server/route.ts';
import type { FederatedIdentityCredential, UserAssignedIdentity } from '../state/model.ts';
import { normalizeLocation, scopeNotFound } from '../state/tenant.ts';
import { ListAccess } from './access.ts';
import { API_VERSIONS, hasIsolationScope } from './api-versions.ts';
import { armRoute } from './arm-route.ts';
import { parseArmBody } from './body.ts';
import { paginate, topPageSize } from './paging.ts';
import { publishArmOperation } from './publish.ts';
import { allowQueryOptions, queryParam } from './query.ts';
import { withLowercaseResourceGroups } from './render.ts';
import { requestScope, requireScopeExists } from './scopes.ts';
import { requireLocation, requireSameLocation, Tags } from './resource-body.ts';

/**
 * Microsoft.ManagedIdentity: user-assigned identities (list by subscription and resource group,
 * get, create or update, patch, delete; each create or delete also changes the identity's service
 * principal in the directory), their federated identity credentials (list, create or update; get and
 * delete of one credential are not implemented and answer 501) and a resource's system-assigned identity
 * (`identities/default`).
 */
const TYPE = 'Microsoft.ManagedIdentity/userAssignedIdentities';
const READ = `${TYPE}/read`;
const WRITE = `${TYPE}/write`;
const DELETE = `${TYPE}/delete`;

/**
 * As in the official 2024-11-30 examples: lower-case `resourcegroups`, `isolationScope` from 2024-11-30 on; plus the
 * read-only `systemData` of ARM tracked resources (the examples omit it), which is where a client learns the creation time.
 */
export function renderUserAssignedIdentity(identity: UserAssignedIdentity, tenantId: string, apiVersion: string | null) {
  return {
    id: withLowercaseResourceGroups(identity.id),
    name: identity.name,
    type: TYPE,
    location: identity.location,
    tags: identity.tags,
    properties: {
      tenantId,
      principalId: identity.principalId,
      clientId: identity.clientId,
      ...(hasIsolationScope(apiVersion) ? { isolationScope: 'None' } : {}),
    },
    systemData: { createdAt: identity.createdAt.toISOString(), lastModifiedAt: identity.createdAt.toISOString() },
  };
}

function list(req: EmulatorRequest, ctx: RouteContext) {
  const tenant = ctx.core.tenant;
  const { subscription, resourceGroup } = ctx.params;
  const scope = requestScope(tenant, resourceGroup ? `/subscriptions/${subscription}/resourceGroups/${resourceGroup}` : `/subscriptions/${subscription}`);
  allowQueryOptions(req, 'user-assigned identity lists', ['$skiptoken']);
  const access = new ListAccess(ctx, READ, scope.scope);
  requireScopeExists(tenant, scope);
  const apiVersion = queryParam(req, 'api-version') ?? null;
  const identities = [...tenant.userAssignedIdentities.values()]
    .filter((identity) => tenant.isWithin(identity.id, scope.scope) && access.canSee(identity.id))
    .map((identity) => renderUserAssignedIdentity(identity, tenant.tenantId, apiVersion));
  return json(200, paginate(req, identities, ctx.core.armPageSizes.userAssignedIdentities, '$skiptoken'));
}

const identityId = (ctx: RouteContext) =>
  `/subscriptions/${ctx.params['subscription']}/resourceGroups/${ctx.params['resourceGroup']}/providers/${TYPE}/${ctx.params['name']}`;

/** The identity a request names, after the permission check; ARM's 404s when it is not there. */
function existingIdentity(ctx: RouteContext, id: string): UserAssignedIdentity {
  const tenant = ctx.core.tenant;
  const identity = tenant.userAssignedIdentity(id);
  if (!identity) {
    requireScopeExists(tenant, requestScope(tenant, id));
    throw scopeNotFound(id);
  }
  return identity;
}

function get(req: EmulatorRequest, ctx: RouteContext) {
  const tenant = ctx.core.tenant;
  const id = identityId(ctx);
  requestScope(tenant, id);
  requireArmAction(ctx, READ, id);
  return json(200, renderUserAssignedIdentity(existingIdentity(ctx, id), tenant.tenantId, queryParam(req, 'api-version') ?? null));
}

const Properties = z.object({ isolationScope: z.enum(['None', 'Regional']).optional() });
const PutBody = z.object({ location: z.string(), tags: Tags.optional(), properties: Properties.optional() });
const PatchBody = z.object({ location: z.string().optional(), tags: Tags.optional(), properties: Properties.optional() });

/** The emulator models only the default isolation scope; asking for another is a gap, said so. */
function requireDefaultIsolation(properties: z.infer<typeof Properties> | undefined): void {
  if (properties?.isolationScope === 'Regional') throw new NotImplementedByEmulator("isolationScope 'Regional' on user-assigned identities");
}

function put(req: EmulatorRequest, ctx: RouteContext) {
  const tenant = ctx.core.tenant;
  const id = identityId(ctx);
  requestScope(tenant, id);
  const authorization = requireArmAction(ctx, WRITE, id);
  requireLocation(req);
  const body = parseArmBody(PutBody, req);
  requireDefaultIsolation(body.properties);
  const existing = tenant.userAssignedIdentity(id);
  if (existing) requireSameLocation(existing, body.location);
  const { identity, created } = tenant.createUserAssignedIdentity({ id, location: normalizeLocation(body.location), tags: body.tags ?? {} }, req.receivedAt);
  publishArmOperation(req, ctx, { kind: 'write', resourceId: identity.id, operationName: WRITE, authorization, updatedExisting: !created });
  return json(created ? 201 : 200, renderUserAssignedIdentity(identity, tenant.tenantId, queryParam(req, 'api-version') ?? null));
}

function patch(req: EmulatorRequest, ctx: RouteContext) {
  const tenant = ctx.core.tenant;
  const id = identityId(ctx);
  requestScope(tenant, id);
  const authorization = requireArmAction(ctx, WRITE, id);
  const body = parseArmBody(PatchBody, req);
  requireDefaultIsolation(body.properties);
  const existing = existingIdentity(ctx, id);
  if (body.location !== undefined) requireSameLocation(existing, body.location);
  const { identity } = tenant.createUserAssignedIdentity({ id, location: existing.location, tags: body.tags ?? existing.tags }, req.receivedAt);
  publishArmOperation(req, ctx, { kind: 'write', resourceId: identity.id, operationName: WRITE, authorization, updatedExisting: true });
  return json(200, renderUserAssignedIdentity(identity, tenant.tenantId, queryParam(req, 'api-version') ?? null));
}

function remove(req: EmulatorRequest, ctx: RouteContext) {
  const tenant = ctx.core.tenant;
  const id = identityId(ctx);
  requestScope(tenant, id);
  const authorization = requireArmAction(ctx, DELETE, id);
  const removed = tenant.deleteUserAssignedIdentity(id, req.receivedAt);
  if (!removed) return json(204);
  publishArmOperation(req, ctx, { kind: 'delete', resourceId: removed.id, operationName: DELETE, authorization });
  return json(200);
}

const CREDENTIALS = `${TYPE}/federatedIdentityCredentials`;
/** One page holds every credential an identity can have: Azure allows 20 per identity (a limit not enforced here). */
const CREDENTIAL_PAGE = 20;

/** As in the official 2024-11-30 FederatedIdentityCredential examples (no systemData there). */
function renderFederatedCredential(credential: FederatedIdentityCredential) {
  return {
    id: `${withLowercaseResourceGroups(credential.identityId)}/federatedIdentityCredentials/${credential.name}`,
    name: credential.name,
    type: CREDENTIALS,
    properties: { issuer: credential.issuer, subject: credential.subject, audiences: credential.audiences },
  };
}

function listFederatedCredentials(req: EmulatorRequest, ctx: RouteContext) {
  const id = identityId(ctx);
  requestScope(ctx.core.tenant, id);
  allowQueryOptions(req, 'federated identity credential lists', ['$top', '$skiptoken']);
  requireArmAction(ctx, `${CREDENTIALS}/read`, id);
  const identity = existingIdentity(ctx, id);
  const credentials = ctx.core.tenant.federatedCredentialsOf(identity.id).map(renderFederatedCredential);
  return json(200, paginate(req, credentials, topPageSize(req, CREDENTIAL_PAGE), '$skiptoken'));
}

const CredentialBody = z.object({
  properties: z.object({
    issuer: z.url({ protocol: /^https$/, error: 'expected the https URL of the token issuer' }),
    subject: z.string().min(1),
    audiences: z.array(z.string().min(1)).min(1),
  }),
});

function putFederatedCredential(req: EmulatorRequest, ctx: RouteContext) {
  const id = identityId(ctx);
  requestScope(ctx.core.tenant, id);
  const authorization = requireArmAction(ctx, `${CREDENTIALS}/write`, id);
  const { properties } = parseArmBody(CredentialBody, req);
  const identity = existingIdentity(ctx, id);
  const { credential, created } = ctx.core.tenant.putFederatedCredential({ identityId: identity.id, name: ctx.params['credential']!, ...properties });
  const rendered = renderFederatedCredential(credential);
  publishArmOperation(req, ctx, { kind: 'write', resourceId: rendered.id, operationName: `${CREDENTIALS}/write`, authorization, updatedExisting: !created });
  return json(created ? 201 : 200, rendered);
}

/** `GET {resource}/providers/Microsoft.ManagedIdentity/identities/default`: the resource's system-assigned identity. */
function getSystemAssigned(_req: EmulatorRequest, ctx: RouteContext) {
  const tenant = ctx.core.tenant;
  const scope = requestScope(tenant, ctx.params['scope']!);
  const id = `${scope.scope}/providers/Microsoft.ManagedIdentity/identities/default`;
  requireArmAction(ctx, 'Microsoft.ManagedIdentity/identities/read', scope.scope);
  requireScopeExists(tenant, scope);
  const resource = tenant.resource(scope.scope);
  const principal = resource?.identity?.principalId ? tenant.servicePrincipals.get(resource.identity.principalId.toLowerCase()) : undefined;
  if (!resource || !principal) {
    throw new EmulatorHttpError(404, 'ResourceNotFound', `The Resource 'Microsoft.ManagedIdentity/identities/default' under scope '${scope.scope}' was not found: the resource has no system-assigned identity.`);
  }
  return json(200, {
    id,
    name: 'default',
    type: 'Microsoft.ManagedIdentity/identities',
    location: resource.location,
    tags: resource.tags,
    properties: {
      tenantId: tenant.tenantId,
      principalId: principal.id,
      clientId: principal.appId,
      clientSecretUrl: `https://control-${resource.location}.identity.azure.net${scope.scope}/credentials/v2/systemassigned?tid=${tenant.tenantId}&oid=${principal.id}&aid=${principal.appId}`,
    },
  });
}

const route = armRoute('userAssignedIdentities', API_VERSIONS.managedIdentity);
const item = path(`/subscriptions/{subscription}/resourceGroups/{resourceGroup}/providers/${TYPE}/{name}`);
const credentialRoute = armRoute('federatedIdentityCredentials', API_VERSIONS.managedIdentity);
const credentialsPath = `/subscriptions/{subscription}/resourceGroups/{resourceGroup}/providers/${TYPE}/{name}/federatedIdentityCredentials`;

export const identityRoutes: Route[] = [
  route('listBySubscription', 'GET', path(`/subscriptions/{subscription}/providers/${TYPE}`), list),
  route('listByResourceGroup', 'GET', path(`/subscriptions/{subscription}/resourceGroups/{resourceGroup}/providers/${TYPE}`), list),
  route('get', 'GET', item, get),
  route('createOrUpdate', 'PUT', item, put),
  route('update', 'PATCH', item, patch),
  route('delete', 'DELETE', item, remove),
  credentialRoute('list', 'GET', path(credentialsPath), listFederatedCredentials),
  credentialRoute('createOrUpdate', 'PUT', path(`${credentialsPath}/{credential}`), putFederatedCredential),
  armRoute('systemAssignedIdentities', API_VERSIONS.managedIdentity)('getByScope', 'GET', path('{scope*}/providers/Microsoft.ManagedIdentity/identities/default'), getSystemAssigned),
];
