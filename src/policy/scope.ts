/**
 * ARM scope containment for the policy: which scopes a policy covers, and whether an exemption's scope covers a
 * finding. ARM ids compare case-insensitively. Management groups are not nested by path (a subscription's id does not
 * name its management group), so containment across them needs the tenant's hierarchy, passed in as a function.
 */

import { canonicalScope, isWithinScope, scopeKey } from '../rules/arm-scope.ts';

/**
 * Names of the management groups above a subscription or management group, in any order (the tenant root group
 * included). Called with `/subscriptions/{id}` or `/providers/Microsoft.Management/managementGroups/{name}` as the
 * scope being tested spells it; names are compared case-insensitively.
 */
export type ManagementGroupAncestry = (scope: string) => readonly string[];

/** Written case-insensitively by hand: the JSON Schema published from these patterns drops the `i` flag. */
const GUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const MANAGEMENT_GROUP_PREFIX = '/providers/microsoft.management/managementgroups/';

export const ROOT_SCOPE = '/';
/** `/`, a management group or a subscription: what a policy's `scope.include` names. */
export const BROAD_SCOPE_PATTERN = new RegExp(`^(/|/providers/Microsoft\\.Management/managementGroups/[^/]+|/subscriptions/${GUID})$`, 'i');
/** Any ARM scope: a broad scope, or anything below a subscription (resource group, resource, role assignment). */
export const ARM_SCOPE_PATTERN = new RegExp(`^(/|/providers/Microsoft\\.Management/managementGroups/[^/]+(/.+)?|/subscriptions/${GUID}(/.+)?)$`, 'i');

/** The subscription or management group a scope sits in, as written in the scope: what `ManagementGroupAncestry` is asked about. */
function anchorOf(scope: string): string | undefined {
  const segments = canonicalScope(scope).split('/');
  if (segments[1]?.toLowerCase() === 'subscriptions' && segments[2]) return segments.slice(0, 3).join('/');
  if (scopeKey(scope).startsWith(MANAGEMENT_GROUP_PREFIX) && segments[4]) return segments.slice(0, 5).join('/');
  return undefined;
}

/**
 * Whether `inner` is `outer` or lies below it: by path (subscription → resource group → resource), and, given the
 * hierarchy, through management groups (a subscription or management group below a management group).
 */
export function scopeWithin(inner: string, outer: string, ancestry?: ManagementGroupAncestry): boolean {
  if (isWithinScope(inner, outer)) return true;
  const outerKey = scopeKey(outer);
  if (!ancestry || !outerKey.startsWith(MANAGEMENT_GROUP_PREFIX)) return false;
  const outerGroup = outerKey.slice(MANAGEMENT_GROUP_PREFIX.length);
  if (outerGroup.includes('/')) return false;
  const anchor = anchorOf(inner);
  return anchor !== undefined && ancestry(anchor).some((name) => name.toLowerCase() === outerGroup);
}

/** Whether a scope is covered by a policy: within one of `include` and within none of `exclude`. */
export function inScope(policy: { scope: { include: readonly string[]; exclude: readonly string[] } }, scope: string, ancestry: ManagementGroupAncestry): boolean {
  const within = (container: string) => scopeWithin(scope, container, ancestry);
  return policy.scope.include.some(within) && !policy.scope.exclude.some(within);
}
