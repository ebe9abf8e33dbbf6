import { z } from 'zod';
import type { RoleDefinitionRecord } from '../model/snapshot.ts';
import { SCOPE_ADDRESSED, type AzureClients } from './clients.ts';
import { callAzure, type AzureCallContext } from './errors.ts';
import { parseResponse } from './response.ts';

const permissionSchema = z.object({
  actions: z.array(z.string()).default([]),
  notActions: z.array(z.string()).default([]),
  dataActions: z.array(z.string()).default([]),
  notDataActions: z.array(z.string()).default([]),
});

/** The role definition fields the rules read, as @azure/arm-authorization 9 returns them (flattened from `properties`). */
const roleDefinitionSchema = z
  .object({
    name: z.string().min(1),
    roleName: z.string().min(1),
    roleType: z.string().min(1),
    permissions: z.array(permissionSchema).default([]),
    assignableScopes: z.array(z.string()).default([]),
  })
  .transform(
    (role): RoleDefinitionRecord => ({
      name: role.name.toLowerCase(),
      roleName: role.roleName,
      roleType: /custom/i.test(role.roleType) ? 'CustomRole' : 'BuiltInRole',
      permissions: role.permissions,
      assignableScopes: role.assignableScopes,
    }),
  );

/** Azure role definitions (api-version 2022-04-01) through @azure/arm-authorization, as checked RoleDefinitionRecords. */
export class RoleDefinitions {
  constructor(private readonly clients: AzureClients) {}

  /**
   * Reads one role definition by its full id (`/providers/Microsoft.Authorization/roleDefinitions/{guid}` or
   * subscription-prefixed, as role assignments name it); a 404 (RoleDefinitionDoesNotExist) is an AzureApiError `isNotFound` recognises.
   */
  async getById(roleDefinitionId: string): Promise<RoleDefinitionRecord> {
    const subscriptionId = /^\/subscriptions\/([^/]+)/i.exec(roleDefinitionId)?.[1];
    const context: AzureCallContext = { service: 'arm', operation: 'roleDefinitions.getById', target: roleDefinitionId, ...(subscriptionId ? { subscriptionId } : {}) };
    const client = await this.clients.authorization(SCOPE_ADDRESSED);
    return parseResponse(roleDefinitionSchema, await callAzure(context, () => client.roleDefinitions.getById(roleDefinitionId)), context);
  }
}
