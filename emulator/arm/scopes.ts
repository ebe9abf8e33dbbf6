import type { Tenant } from '../state/tenant.ts';
import { scopeNotFound } from '../state/tenant.ts';
import { parseScope, type ParsedScope } from '../state/ids.ts';

/**
 * A scope taken from a request path. It must parse, and a subscription it names must exist: ARM
 * answers an unknown subscription with 404 SubscriptionNotFound before it checks any permission.
 */
export function requestScope(tenant: Tenant, raw: string): ParsedScope {
  const parsed = parseScope(raw);
  if (!parsed) throw scopeNotFound(raw);
  if (parsed.subscriptionId && !tenant.subscriptions.has(parsed.subscriptionId.toLowerCase())) throw scopeNotFound(`/subscriptions/${parsed.subscriptionId}`);
  return parsed;
}

/** Throws ARM's 404 for the first missing link: the resource group, then the scope itself. */
export function requireScopeExists(tenant: Tenant, parsed: ParsedScope): void {
  if (parsed.resourceGroup) {
    const group = `/subscriptions/${parsed.subscriptionId}/resourceGroups/${parsed.resourceGroup}`;
    if (!tenant.scopeExists(group)) throw scopeNotFound(group);
  }
  if (!tenant.scopeExists(parsed.scope)) throw scopeNotFound(parsed.scope);
}
