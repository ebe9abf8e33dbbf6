import { z } from 'zod';

/**
 * The emulator seed file (contract: DESIGN.md §8, `schemaVersion: 1`): a whole tenant in one JSON file.
 * Objects are strict so a misspelt key is an error, not a silently ignored field.
 */
const guid = z.guid();
const instant = z.iso.datetime({ offset: true });
const tags = z.record(z.string(), z.string());

const ManagementGroupSeed = z.strictObject({
  name: z.string().min(1),
  displayName: z.string().optional(),
  parent: z.string().nullable().optional(),
  subscriptions: z.array(guid).default([]),
});

const ResourceGroupSeed = z.union([
  z.string().min(1),
  z.strictObject({ name: z.string().min(1), location: z.string().optional(), tags: tags.optional() }),
]);

const SubscriptionSeed = z.strictObject({
  subscriptionId: guid,
  displayName: z.string().min(1),
  resourceGroups: z.array(ResourceGroupSeed).default([]),
});

const UserAssignedIdentitySeed = z.strictObject({
  id: z.string().min(1),
  principalId: guid.optional(),
  clientId: guid.optional(),
  location: z.string().optional(),
  tags: tags.optional(),
  createdAt: instant.optional(),
});

const ResourceSeed = z.strictObject({
  id: z.string().min(1),
  location: z.string().optional(),
  tags: tags.optional(),
  createdAt: instant.optional(),
  identity: z
    .strictObject({
      /** `SystemAssigned`, `UserAssigned`, `SystemAssigned,UserAssigned` or `SystemAssigned, UserAssigned`, or `None`. */
      type: z.string().regex(/^(None|SystemAssigned|UserAssigned|SystemAssigned,\s*UserAssigned)$/i, 'one of None, SystemAssigned, UserAssigned, "SystemAssigned, UserAssigned"'),
      principalId: guid.optional(),
      userAssignedIdentities: z.array(z.string().min(1)).default([]),
    })
    .optional(),
});

const servicePrincipalType = z.enum(['Application', 'ManagedIdentity', 'Legacy', 'SocialIdp']);

const ServicePrincipalSeed = z.strictObject({
  id: guid,
  appId: guid.optional(),
  displayName: z.string().min(1),
  servicePrincipalType: servicePrincipalType.default('Application'),
  alternativeNames: z.array(z.string()).default([]),
  createdAt: instant.optional(),
});

const DeletedServicePrincipalSeed = ServicePrincipalSeed.extend({ deletedDateTime: instant });

const SignInActivitySeed = z
  .strictObject({ appId: guid.optional(), principalId: guid.optional(), lastSignIn: instant })
  .refine((entry) => entry.appId !== undefined || entry.principalId !== undefined, { message: 'name the service principal by appId or principalId' });

const PermissionSeed = z.strictObject({
  actions: z.array(z.string()).default([]),
  notActions: z.array(z.string()).default([]),
  dataActions: z.array(z.string()).default([]),
  notDataActions: z.array(z.string()).default([]),
});

const RoleDefinitionSeed = z.strictObject({
  id: guid,
  roleName: z.string().min(1),
  description: z.string().optional(),
  assignableScopes: z.array(z.string().min(1)).min(1),
  permissions: z.array(PermissionSeed).min(1),
});

const RoleAssignmentSeed = z.strictObject({
  name: guid.optional(),
  scope: z.string().min(1),
  role: z.string().min(1),
  principalId: guid,
  principalType: z.enum(['User', 'Group', 'ServicePrincipal', 'ForeignGroup', 'Device']).optional(),
  createdOn: instant.optional(),
  createdBy: guid.nullable().optional(),
  condition: z.string().nullable().optional(),
  conditionVersion: z.literal('2.0').nullable().optional(),
  description: z.string().nullable().optional(),
});

const AppRoleAssignmentSeed = z.strictObject({ principalId: guid, permission: z.string().min(1), createdAt: instant.optional() });

const GroupSeed = z.strictObject({
  id: guid,
  displayName: z.string().min(1),
  members: z.array(guid).default([]),
  isAssignableToRole: z.boolean().default(false),
});

const UserSeed = z.strictObject({ id: guid, displayName: z.string().min(1), userPrincipalName: z.string().min(3) });

const DirectoryRoleAssignmentSeed = z.strictObject({ principalId: guid, role: z.string().min(1) });

export const SeedSchema = z
  .strictObject({
    $schema: z.string().optional(),
    schemaVersion: z.literal(1),
    description: z.string().optional(),
    tenantId: guid.describe('Also the name of the tenant root management group.'),
    managementGroups: z.array(ManagementGroupSeed).default([]).describe('Below the tenant root; `parent` null or absent means directly under it.'),
    subscriptions: z.array(SubscriptionSeed).default([]),
    userAssignedIdentities: z.array(UserAssignedIdentitySeed).default([]).describe('Each gets its managed-identity service principal; its resource group must be in `subscriptions`.'),
    resources: z.array(ResourceSeed).default([]).describe('Resources other than user-assigned identities; a system-assigned identity gets its service principal.'),
    servicePrincipals: z
      .array(ServicePrincipalSeed)
      .default([])
      .describe('Application principals, and ManagedIdentity principals whose resource (alternativeNames[1]) no longer exists.'),
    deletedServicePrincipals: z.array(DeletedServicePrincipalSeed).default([]).describe('Soft-deleted: in the directory\'s deleted items, restorable for 30 days.'),
    signInActivity: z.array(SignInActivitySeed).default([]).describe('Last sign-in per service principal, named by appId or principalId.'),
    roleDefinitions: z.array(RoleDefinitionSeed).default([]).describe('Custom roles; the built-in roles are always there.'),
    roleAssignments: z
      .array(RoleAssignmentSeed)
      .default([])
      .describe('`role`: a built-in role name, a custom role name from this seed, or a role definition GUID. A principalId found nowhere is a deleted principal.'),
    appRoleAssignments: z.array(AppRoleAssignmentSeed).default([]).describe('Microsoft Graph application permissions, by value (e.g. Directory.Read.All).'),
    groups: z.array(GroupSeed).default([]).describe('Members: user, service principal or group ids; membership is transitive.'),
    users: z.array(UserSeed).default([]),
    directoryRoleAssignments: z.array(DirectoryRoleAssignmentSeed).default([]).describe('Built-in Microsoft Entra roles by display name, tenant-wide.'),
    bot: z.strictObject({ principalId: guid, clientId: guid }).describe('The identity idwarden runs as; the emulator enforces its seeded permissions.'),
  })
  .meta({ title: 'idwarden emulator seed', description: 'A whole tenant in one file (DESIGN.md section 8, schemaVersion 1).' });

/** A seed as written (defaults optional). */
export type SeedInput = z.input<typeof SeedSchema>;
/** A seed after parsing (defaults filled in). */
export type Seed = z.output<typeof SeedSchema>;
