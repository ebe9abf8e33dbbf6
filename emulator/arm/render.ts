/** Small pieces of ARM's wire format shared by every resource shape. */

/** ARM timestamps carry seven fractional digits (.NET ticks): `2026-03-01T10:00:00.1230000Z`. */
export const armTime = (instant: Date) => instant.toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');

/** `/subscriptions/{id}` for a scope inside a subscription, '' for management groups and the root. */
export function subscriptionPrefix(scope: string): string {
  const match = /^\/subscriptions\/([^/]+)/i.exec(scope);
  return match ? `/subscriptions/${match[1]}` : '';
}

/** Some resource providers (Microsoft.ManagedIdentity among them) answer with `resourcegroups` in lower case. */
export const withLowercaseResourceGroups = (id: string) => id.replace(/\/resourceGroups\//i, '/resourcegroups/');
