import { assignmentGrants, authorize } from '../authz/rbac.ts';
import { requireArmAction } from '../authz/require.ts';
import type { RouteContext } from '../server/route.ts';
import { idKey } from '../state/ids.ts';

/** Whether the caller (or a group it is in) holds an assignment below the scope that grants the action (its condition, if any, holding). */
function holdsBelow(ctx: RouteContext, action: string, scope: string): boolean {
  const tenant = ctx.core.tenant;
  const identities = tenant.securityIdentities(ctx.caller!.principalId);
  for (const assignment of tenant.roleAssignments.heldBy(identities)) {
    if (tenant.isWithin(assignment.scope, scope) && assignmentGrants(tenant, assignment, action)) return true;
  }
  return false;
}

/** Whether the caller may perform the action at the scope or anywhere below it (what makes a subscription show up in `GET /subscriptions`). */
export function canActWithin(ctx: RouteContext, action: string, scope: string): boolean {
  return authorize(ctx.core.tenant, ctx.caller!.principalId, action, scope).allowed || holdsBelow(ctx, action, scope);
}

/**
 * What a caller sees in an ARM list. Holding the read action at the listed scope shows everything;
 * otherwise only items at scopes where the caller holds it (Reader on one resource group, listing the
 * subscription, sees that group's items). Holding it nowhere at or below the scope is ARM's 403.
 */
export class ListAccess {
  private readonly decisions = new Map<string, boolean>();
  private readonly wholeScope: boolean;

  constructor(
    private readonly ctx: RouteContext,
    private readonly action: string,
    scope: string,
  ) {
    this.wholeScope = this.allowed(action, scope);
    if (!this.wholeScope && !holdsBelow(ctx, action, scope)) requireArmAction(ctx, action, scope);
  }

  /** Whether an item at this scope is visible; `action` defaults to the list's read action. */
  canSee(itemScope: string, action = this.action): boolean {
    return this.wholeScope || this.allowed(action, itemScope);
  }

  private allowed(action: string, scope: string): boolean {
    const key = `${action.toLowerCase()} ${idKey(scope)}`;
    let decision = this.decisions.get(key);
    if (decision === undefined) {
      decision = authorize(this.ctx.core.tenant, this.ctx.caller!.principalId, action, scope).allowed;
      this.decisions.set(key, decision);
    }
    return decision;
  }
}
