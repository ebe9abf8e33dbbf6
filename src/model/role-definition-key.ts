/**
 * A role definition's GUID, lower-case, from any form of its id (`/subscriptions/.../roleDefinitions/<guid>`,
 * `/providers/Microsoft.Authorization/roleDefinitions/<guid>`, a bare GUID): the same role whatever scope prefix an
 * assignment names it with.
 */
export function roleDefinitionKey(roleDefinitionId: string): string {
  const trimmed = roleDefinitionId.endsWith('/') ? roleDefinitionId.replace(/\/+$/, '') : roleDefinitionId;
  return trimmed.slice(trimmed.lastIndexOf('/') + 1).toLowerCase();
}
