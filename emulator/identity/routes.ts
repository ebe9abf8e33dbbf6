import { EmulatorHttpError } from '../server/errors.ts';
import { header, json, type EmulatorRequest } from '../server/exchange.ts';
import type { Route, RouteContext } from '../server/route.ts';
import { idKey } from '../state/ids.ts';
import type { Tenant } from '../state/tenant.ts';


interface ManagedIdentity {
  principalId: string;
  clientId: string;
  resourceId: string | undefined;
}

/**
 * Finds the identity a token request is for. No selector means the host's own (system-assigned)
 * identity, which in the emulator is the bot; a selector must name the bot or a user-assigned identity.
 */
function resolveIdentity(tenant: Tenant, selector: { clientId?: string; principalId?: string; resourceId?: string }): ManagedIdentity | undefined {
  const bot: ManagedIdentity = { principalId: tenant.bot.principalId, clientId: tenant.bot.clientId, resourceId: undefined };
  if (!selector.clientId && !selector.principalId && !selector.resourceId) return bot;
  const wanted = (a: string | undefined, b: string | undefined) => a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
  if (wanted(selector.clientId, bot.clientId) || wanted(selector.principalId, bot.principalId)) return bot;
  for (const identity of tenant.userAssignedIdentities.values()) {
    if (
      wanted(selector.clientId, identity.clientId) ||
      wanted(selector.principalId, identity.principalId) ||
      (selector.resourceId !== undefined && idKey(selector.resourceId) === idKey(identity.id))
    ) {
      return { principalId: identity.principalId, clientId: identity.clientId, resourceId: identity.id };
    }
  }
  return undefined;
}

function issue(req: EmulatorRequest, ctx: RouteContext, selector: { clientId?: string; principalId?: string; resourceId?: string }) {
  const resource = req.query.get('resource');
  if (!resource) throw new EmulatorHttpError(400, 'invalid_request', "Required query variable 'resource' is missing");
  const identity = resolveIdentity(ctx.core.tenant, selector);
  if (!identity) throw new EmulatorHttpError(400, 'invalid_request', 'Identity not found');
  const { token, claims } = ctx.core.tokens.mint({
    principalId: identity.principalId,
    tenantId: ctx.core.tenant.tenantId,
    audience: resource,
    appId: identity.clientId,
    ...(identity.resourceId ? { managedIdentityResourceId: identity.resourceId } : {}),
    lifetimeSeconds: ctx.core.tokenLifetimeSeconds,
  });
  return json(200, {
    access_token: token,
    expires_on: String(claims.exp),
    expires_in: String(claims.exp - claims.iat),
    not_before: String(claims.nbf),
    resource,
    token_type: 'Bearer',
    client_id: identity.clientId,
  });
}

const optional = (value: string | null) => value ?? undefined;

export const tokenRoutes: Route[] = [
  {
    // App Service / Functions: GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=...; header X-IDENTITY-HEADER
    name: 'token.appService',
    method: 'GET',
    service: 'token',
    pattern: /^\/msi\/token$/i,
    anonymous: true,
    handle(req, ctx) {
      if (header(req, 'x-identity-header') !== ctx.core.identityHeader) {
        throw new EmulatorHttpError(401, 'unauthorized_client', 'The X-IDENTITY-HEADER header is missing or does not match IDENTITY_HEADER.');
      }
      return issue(req, ctx, {
        clientId: optional(req.query.get('client_id')),
        principalId: optional(req.query.get('principal_id') ?? req.query.get('object_id')),
        resourceId: optional(req.query.get('mi_res_id')),
      });
    },
  },
  {
    // IMDS: GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=...; header Metadata: true
    name: 'token.imds',
    method: 'GET',
    service: 'token',
    pattern: /^\/metadata\/identity\/oauth2\/token$/i,
    anonymous: true,
    handle(req, ctx) {
      if (header(req, 'metadata')?.toLowerCase() !== 'true') {
        throw new EmulatorHttpError(400, 'invalid_request', 'Required metadata header not specified');
      }
      return issue(req, ctx, {
        clientId: optional(req.query.get('client_id')),
        principalId: optional(req.query.get('object_id')),
        resourceId: optional(req.query.get('msi_res_id') ?? req.query.get('mi_res_id')),
      });
    },
  },
];
