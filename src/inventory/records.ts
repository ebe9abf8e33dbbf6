import { z } from 'zod';
import type { IdentityHolderRecord, PrincipalKind, PrincipalRecord, RoleAssignmentRecord, RoleDefinitionRecord } from '../model/snapshot.ts';
import { intern } from './intern.ts';

/** Resource Graph and Graph rows the inventory depends on, checked and turned into snapshot records. */

export const subscriptionRow = z.object({
  id: z.string(),
  name: z.string().nullish(),
  subscriptionId: z.string(),
  properties: z.object({ managementGroupAncestorsChain: z.array(z.object({ name: z.string() })).nullish() }).nullish(),
});

export const roleAssignmentRow = z
  .object({
    id: z.string(),
    name: z.string(),
    properties: z.object({
      roleDefinitionId: z.string(),
      principalId: z.string(),
      principalType: z.string(),
      scope: z.string(),
      condition: z.string().nullish(),
      createdOn: z.string().nullish(),
      createdBy: z.string().nullish(),
    }),
  })
  .transform(
    (row): RoleAssignmentRecord => ({
      id: row.id,
      name: row.name,
      scope: intern(row.properties.scope),
      roleDefinitionId: intern(row.properties.roleDefinitionId),
      principalId: row.properties.principalId.toLowerCase(),
      principalType: intern(row.properties.principalType),
      condition: row.properties.condition ?? null,
      createdOn: row.properties.createdOn ?? null,
      createdBy: row.properties.createdBy ?? null,
    }),
  );

const permission = z.object({
  actions: z.array(z.string()).default([]),
  notActions: z.array(z.string()).default([]),
  dataActions: z.array(z.string()).default([]),
  notDataActions: z.array(z.string()).default([]),
  condition: z.string().nullish(),
});

export const roleDefinitionRow = z
  .object({
    id: z.string(),
    name: z.string(),
    properties: z.object({ roleName: z.string(), type: z.string(), permissions: z.array(permission), assignableScopes: z.array(z.string()).default([]) }),
  })
  .transform(
    (row): RoleDefinitionRecord => ({
      name: row.name.toLowerCase(),
      roleName: row.properties.roleName,
      roleType: /custom/i.test(row.properties.type) ? 'CustomRole' : 'BuiltInRole',
      permissions: row.properties.permissions.map((p) => ({ ...p, condition: p.condition ?? null })),
      assignableScopes: row.properties.assignableScopes,
    }),
  );

export const identityHolderRow = z
  .object({
    id: z.string(),
    name: z.string(),
    type: z.string(),
    subscriptionId: z.string(),
    resourceGroup: z.string(),
    identity: z.object({
      type: z.string().nullish(),
      principalId: z.string().nullish(),
      userAssignedIdentities: z.record(z.string(), z.unknown()).nullish(),
    }),
    systemData: z.object({ createdAt: z.string().nullish() }).nullish(),
  })
  .transform(
    (row): IdentityHolderRecord => ({
      id: row.id,
      name: row.name,
      type: intern(row.type),
      subscriptionId: intern(row.subscriptionId.toLowerCase()),
      resourceGroup: intern(row.resourceGroup),
      systemAssignedPrincipalId: row.identity.principalId?.toLowerCase() ?? null,
      userAssignedIdentityIds: Object.keys(row.identity.userAssignedIdentities ?? {}),
      createdAt: row.systemData?.createdAt ?? null,
    }),
  );

export const servicePrincipalItem = z
  .object({
    id: z.string(),
    appId: z.string().nullish(),
    displayName: z.string().nullish(),
    servicePrincipalType: z.string().nullish(),
    alternativeNames: z.array(z.string()).nullish(),
    '@odata.type': z.string().nullish(),
  })
  .transform((sp): PrincipalRecord => principalRecord({ ...sp, type: sp['@odata.type'] ?? '#microsoft.graph.servicePrincipal' }));

/** Classifies a directory object; a managed identity's ARM id is the alternative name that looks like one. */
export function principalRecord(object: {
  id: string;
  type: string;
  appId?: string | null | undefined;
  displayName?: string | null | undefined;
  servicePrincipalType?: string | null | undefined;
  alternativeNames?: readonly string[] | null | undefined;
}): PrincipalRecord {
  const type = object.type.replace(/^#?microsoft\.graph\./i, '').toLowerCase();
  const managed = type === 'serviceprincipal' && object.servicePrincipalType?.toLowerCase() === 'managedidentity';
  const kind: PrincipalKind = managed ? 'managedIdentity' : type === 'serviceprincipal' ? 'application' : type === 'user' ? 'user' : type === 'group' ? 'group' : 'other';
  const resourceId = managed ? (object.alternativeNames?.find((name) => name.startsWith('/')) ?? null) : null;
  const explicit = object.alternativeNames?.find((name) => /^isExplicit=/i.test(name));
  return {
    id: object.id.toLowerCase(),
    kind,
    displayName: object.displayName ?? null,
    appId: object.appId?.toLowerCase() ?? null,
    managedIdentityResourceId: resourceId,
    managedIdentityType: !managed
      ? null
      : explicit
        ? /true/i.test(explicit)
          ? 'userAssigned'
          : 'systemAssigned'
        : /\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\//i.test(resourceId ?? '')
          ? 'userAssigned'
          : 'systemAssigned',
  };
}

export const appRoleGrantItem = z.object({
  id: z.string(),
  appRoleId: z.string(),
  principalId: z.string(),
  resourceId: z.string(),
  resourceDisplayName: z.string().nullish(),
  createdDateTime: z.string().nullish(),
});

export const graphServicePrincipalWithRoles = z.object({
  id: z.string(),
  appRoles: z.array(z.object({ id: z.string(), value: z.string().nullish() })).default([]),
});

export const directoryRoleDefinitionItem = z.object({ id: z.string(), displayName: z.string(), templateId: z.string().nullish() });
export const directoryRoleAssignmentItem = z.object({ id: z.string(), principalId: z.string(), roleDefinitionId: z.string(), directoryScopeId: z.string().nullish() });
export const memberItem = z.object({ id: z.string() });
export const groupItem = z.object({ id: z.string(), displayName: z.string().nullish() });
export const signInItem = z.object({
  appId: z.string(),
  lastSignInActivity: z.object({ lastSignInDateTime: z.string().nullish() }).nullish(),
});
