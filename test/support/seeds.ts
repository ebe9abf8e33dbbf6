import type { SeedInput } from '../../emulator/seed/schema.ts';
import * as id from './ids.ts';

/**
 * A small tenant for integration tests: two subscriptions under one management group, the bot as a
 * user-assigned identity with read access at the management group and Directory.Read.All in Graph,
 * a human admin who owns the tenant root, one app identity and a web app using it.
 */
export function smallTenant(overrides: Partial<SeedInput> = {}): SeedInput {
  return {
    schemaVersion: 1,
    tenantId: id.TENANT_ID,
    managementGroups: [{ name: id.MG_PROD, parent: null, subscriptions: [id.SUB_PROD, id.SUB_DEV] }],
    subscriptions: [
      { subscriptionId: id.SUB_PROD, displayName: 'prod', resourceGroups: ['rg-app', 'rg-idwarden'] },
      { subscriptionId: id.SUB_DEV, displayName: 'dev', resourceGroups: ['rg-dev'] },
    ],
    userAssignedIdentities: [
      { id: id.BOT_IDENTITY_ID, principalId: id.BOT_PRINCIPAL, clientId: id.BOT_CLIENT, createdAt: '2026-01-02T00:00:00Z' },
      { id: id.UAMI_ID, principalId: id.UAMI_PRINCIPAL, clientId: id.UAMI_CLIENT, createdAt: '2026-02-01T00:00:00Z' },
    ],
    resources: [{ id: id.WEB_APP_ID, identity: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: [id.UAMI_ID] } }],
    users: [{ id: id.HUMAN_ADMIN, displayName: 'Ops Admin', userPrincipalName: 'ops.admin@contoso.example' }],
    servicePrincipals: [{ id: id.APP_PRINCIPAL, displayName: 'ci-pipeline', servicePrincipalType: 'Application' }],
    roleAssignments: [
      { scope: `/providers/Microsoft.Management/managementGroups/${id.MG_PROD}`, role: 'Reader', principalId: id.BOT_PRINCIPAL },
      { scope: `/providers/Microsoft.Management/managementGroups/${id.TENANT_ID}`, role: 'Owner', principalId: id.HUMAN_ADMIN, principalType: 'User' },
      { scope: `/subscriptions/${id.SUB_PROD}`, role: 'Contributor', principalId: id.UAMI_PRINCIPAL, createdOn: '2026-03-01T00:00:00Z' },
      { scope: `/subscriptions/${id.SUB_PROD}/resourceGroups/rg-app`, role: 'Reader', principalId: id.DELETED_PRINCIPAL },
    ],
    appRoleAssignments: [{ principalId: id.BOT_PRINCIPAL, permission: 'Directory.Read.All' }],
    bot: { principalId: id.BOT_PRINCIPAL, clientId: id.BOT_CLIENT },
    ...overrides,
  };
}
