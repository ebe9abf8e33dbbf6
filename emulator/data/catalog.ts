import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * Azure and Entra facts the emulator knows: built-in Azure role definitions, Microsoft Graph's
 * application permissions and Entra's built-in directory roles, with their real ids (sources in SOURCES.md).
 */
const Permission = z.strictObject({
  actions: z.array(z.string()),
  notActions: z.array(z.string()),
  dataActions: z.array(z.string()),
  notDataActions: z.array(z.string()),
  condition: z.string().optional(),
  conditionVersion: z.string().optional(),
});

const BuiltInRoleDefinition = z.strictObject({
  name: z.guid(),
  roleName: z.string(),
  description: z.string(),
  assignableScopes: z.array(z.string()).min(1),
  permissions: z.array(Permission).min(1),
});

const GraphAppRole = z.strictObject({ id: z.guid(), value: z.string(), displayName: z.string(), description: z.string() });

const DirectoryRole = z.strictObject({ templateId: z.guid(), displayName: z.string(), isPrivileged: z.boolean() });

export type BuiltInRoleDefinition = z.infer<typeof BuiltInRoleDefinition>;
export type GraphAppRole = z.infer<typeof GraphAppRole>;
export type DirectoryRole = z.infer<typeof DirectoryRole>;

function load<T>(file: string, schema: z.ZodType<T>): T[] {
  const raw: unknown = JSON.parse(readFileSync(join(import.meta.dirname, file), 'utf8'));
  return z.array(schema).parse(raw);
}

let cached: { roles: BuiltInRoleDefinition[]; graphAppRoles: GraphAppRole[]; directoryRoles: DirectoryRole[] } | undefined;

export function catalog() {
  cached ??= {
    roles: load('builtin-role-definitions.json', BuiltInRoleDefinition),
    graphAppRoles: load('graph-app-roles.json', GraphAppRole),
    directoryRoles: load('directory-roles.json', DirectoryRole),
  };
  return cached;
}
