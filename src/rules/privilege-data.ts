import { z } from 'zod';
import graphPermissionTiersFile from './data/graph-permission-tiers.json' with { type: 'json' };
import privilegedDirectoryRolesFile from './data/privileged-directory-roles.json' with { type: 'json' };

/**
 * The privilege classifications the rules ship with, kept as data (sources inside each file) and
 * checked here once, so a bad edit fails loudly at start-up instead of silently classifying nothing.
 */

export const GRAPH_PERMISSION_TIERS = ['critical', 'high'] as const;
export type GraphPermissionTier = (typeof GRAPH_PERMISSION_TIERS)[number];

const GraphPermissionTiersFile = z.object({
  sources: z.array(z.object({ name: z.string() }).loose()).min(1),
  permissions: z.array(z.strictObject({ value: z.string().min(1), appRoleId: z.guid(), tier: z.enum(GRAPH_PERMISSION_TIERS), why: z.string().min(1) })).min(1),
});

const PrivilegedDirectoryRolesFile = z.object({
  source: z.object({ name: z.string() }).loose(),
  roles: z.array(z.strictObject({ templateId: z.guid(), displayName: z.string().min(1), severity: z.enum(['critical', 'high']) })).min(1),
});

export type GraphPermissionClassification = z.infer<typeof GraphPermissionTiersFile>['permissions'][number];
export type PrivilegedDirectoryRole = z.infer<typeof PrivilegedDirectoryRolesFile>['roles'][number];

export const graphPermissionClassifications: readonly GraphPermissionClassification[] = GraphPermissionTiersFile.parse(graphPermissionTiersFile).permissions;

export const privilegedDirectoryRoles: readonly PrivilegedDirectoryRole[] = PrivilegedDirectoryRolesFile.parse(privilegedDirectoryRolesFile).roles;

const classificationByAppRoleId = new Map(graphPermissionClassifications.map((entry) => [entry.appRoleId.toLowerCase(), entry]));
const classificationByValue = new Map(graphPermissionClassifications.map((entry) => [entry.value.toLowerCase(), entry]));

export const classifyGraphAppRoleId = (appRoleId: string) => classificationByAppRoleId.get(appRoleId.toLowerCase());
export const classifyGraphPermission = (value: string) => classificationByValue.get(value.toLowerCase());

const privilegedRoleByTemplateId = new Map(privilegedDirectoryRoles.map((role) => [role.templateId.toLowerCase(), role]));

/**
 * Whether a directory role assignment is privileged: by template id in the shipped list, or named in the
 * policy's extra roles (display name or template id, lower-cased), which count as high.
 */
export function privilegedDirectoryRoleOf(assignment: { roleTemplateId: string; roleDisplayName: string }, extraRoles: ReadonlySet<string>) {
  const listed = privilegedRoleByTemplateId.get(assignment.roleTemplateId.toLowerCase());
  if (listed) return { displayName: listed.displayName, severity: listed.severity, source: 'Microsoft privileged label' as const };
  if (extraRoles.has(assignment.roleTemplateId.toLowerCase()) || extraRoles.has(assignment.roleDisplayName.toLowerCase())) {
    return { displayName: assignment.roleDisplayName, severity: 'high' as const, source: 'policy extraRoles' as const };
  }
  return undefined;
}
