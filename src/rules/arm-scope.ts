import type { ScopeLevel } from '../model/snapshot.ts';

/**
 * ARM scope strings as the rules need them. ARM ids come back in mixed case and sometimes with doubled
 * or trailing slashes, so everything here is case-insensitive and canonicalises first. A string that is
 * none of the five scope shapes has no level (`null`): rules stay silent on it rather than guess.
 */

/** Collapses repeated slashes, adds the leading slash and drops a trailing one (the root stays "/"). */
export function canonicalScope(scope: string): string {
  if (scope.startsWith('/') && !scope.includes('//') && (scope.length === 1 || !scope.endsWith('/'))) return scope;
  const collapsed = `/${scope}`.replace(/\/{2,}/g, '/');
  return collapsed.length > 1 ? collapsed.replace(/\/$/, '') : collapsed;
}

/** The key every map of ARM ids uses: canonical and lower-cased. */
export const scopeKey = (scope: string) => canonicalScope(scope).toLowerCase();

export function scopeLevel(scope: string): ScopeLevel | null {
  if (scope.trim() === '') return null;
  const segments = segmentsOf(scope);
  if (segments.length === 0) return 'root';
  const [first, second, third, fourth] = segments.map((segment) => segment.toLowerCase());
  if (first === 'providers' && second === 'microsoft.management' && third === 'managementgroups' && fourth) {
    return segments.length === 4 ? 'managementGroup' : null;
  }
  if (first !== 'subscriptions' || !second) return null;
  if (segments.length === 2) return 'subscription';
  if (third === 'resourcegroups' && fourth) {
    if (segments.length === 4) return 'resourceGroup';
    return isProviderPath(segments.slice(4)) ? 'resource' : null;
  }
  return isProviderPath(segments.slice(2)) ? 'resource' : null;
}

/** The subscription a scope lies in, lower-cased; null for root, management groups and unparseable strings. */
export function subscriptionIdOf(scope: string): string | null {
  const segments = segmentsOf(scope);
  return segments[0]?.toLowerCase() === 'subscriptions' && segments[1] ? segments[1].toLowerCase() : null;
}

/** `/subscriptions/{sub}/resourceGroups/{rg}` for a scope at or below a resource group, else null. */
export function resourceGroupScopeOf(scope: string): string | null {
  const segments = segmentsOf(scope);
  if (segments[0]?.toLowerCase() !== 'subscriptions' || segments[2]?.toLowerCase() !== 'resourcegroups' || !segments[3]) return null;
  return `/subscriptions/${segments[1]}/resourceGroups/${segments[3]}`;
}

/** Whether `scope` is `ancestor` itself or lies below it (the root is above everything). */
export function isWithinScope(scope: string, ancestor: string): boolean {
  const inner = scopeKey(scope);
  const outer = scopeKey(ancestor);
  return outer === '/' || inner === outer || inner.startsWith(`${outer}/`);
}

function segmentsOf(scope: string): string[] {
  return canonicalScope(scope).split('/').filter((segment) => segment.length > 0);
}

/** `providers/{namespace}/{type}/{name}[/{type}/{name}]...` */
function isProviderPath(segments: string[]): boolean {
  return segments[0]?.toLowerCase() === 'providers' && segments.length >= 4 && segments.length % 2 === 0;
}

/** The last segment of an ARM id: a resource's name, for titles. */
export const resourceNameOf = (id: string) => segmentsOf(id).pop() ?? id;
