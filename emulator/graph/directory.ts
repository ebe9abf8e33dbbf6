import { EmulatorHttpError } from '../server/errors.ts';
import type { RouteContext } from '../server/route.ts';
import { GUID } from '../state/ids.ts';
import type { Group, ServicePrincipal } from '../state/model.ts';

/** Lookups shared by the Graph routes, failing with Graph's own 400 / 404 bodies. */

export function resourceNotFound(key: string): EmulatorHttpError {
  return new EmulatorHttpError(404, 'Request_ResourceNotFound', `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`);
}

/** Directory object ids are GUIDs; Graph refuses anything else before looking. */
export function requireObjectId(id: string): void {
  if (!GUID.test(id)) throw new EmulatorHttpError(400, 'Request_BadRequest', `Invalid object identifier '${id}'.`);
}

export function servicePrincipalOr404(ctx: RouteContext, id: string): ServicePrincipal {
  requireObjectId(id);
  const principal = ctx.core.tenant.servicePrincipals.get(id.toLowerCase());
  if (!principal) throw resourceNotFound(id);
  return principal;
}

export function groupOr404(ctx: RouteContext, id: string): Group {
  requireObjectId(id);
  const group = ctx.core.tenant.groups.get(id.toLowerCase());
  if (!group) throw resourceNotFound(id);
  return group;
}

/** The principal behind the request (every Graph route is authenticated). */
export function callerId(ctx: RouteContext): string {
  if (!ctx.caller) throw new Error('a Graph route ran without an authenticated caller');
  return ctx.caller.principalId;
}

/** Stable page order for directory collections. */
export const byId = <T extends { id: string }>(a: T, b: T) => a.id.toLowerCase().localeCompare(b.id.toLowerCase());
