import { EmulatorHttpError } from '../server/errors.ts';
import type { RouteContext, Caller } from '../server/route.ts';
import type { AuthorizationContext } from './abac.ts';
import { authorize, graphPermissionsOf, type AuthorizationDecision } from './rbac.ts';

function callerOf(ctx: RouteContext): Caller {
  if (!ctx.caller) throw new Error('route needs an authenticated caller but is marked anonymous');
  return ctx.caller;
}

/**
 * Throws ARM's 403 AuthorizationFailed unless the caller may perform the action at the scope; `context` carries
 * the role assignment being created or deleted, which ABAC conditions on the caller's assignments look at.
 */
export function requireArmAction(ctx: RouteContext, action: string, scope: string, context?: AuthorizationContext): AuthorizationDecision {
  const caller = callerOf(ctx);
  const decision = authorize(ctx.core.tenant, caller.principalId, action, scope, context ? { context } : {});
  if (!decision.allowed) {
    throw new EmulatorHttpError(
      403,
      'AuthorizationFailed',
      `The client '${caller.principalId}' with object id '${caller.principalId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
  }
  return decision;
}

/** Throws Graph's 403 Authorization_RequestDenied unless the caller holds one of the application permissions. */
export function requireGraphPermission(ctx: RouteContext, anyOf: readonly string[]): void {
  const caller = callerOf(ctx);
  const granted = graphPermissionsOf(ctx.core.tenant, caller.principalId);
  if (!anyOf.some((permission) => granted.has(permission))) {
    throw new EmulatorHttpError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
  }
}
