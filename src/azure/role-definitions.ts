import { z } from 'zod';
import type { RoleDefinitionRecord } from '../model/snapshot.ts';
import { SCOPE_ADDRESSED, type AzureClients } from './clients.ts';
import { callAzure, type AzureCallContext } from './errors.ts';
import { parseResponse } from './response.ts';
import { roleDefinitionKey } from '../model/role-definition-key.ts';

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

/**
 * Built-in role definitions for a few minutes, so that a burst of events about assignments of the same roles reads
 * each role once (concurrent reads of one role share the request). Built-in roles change only when Microsoft ships a
 * new version of one; a custom role is never kept (its author may have just changed it), nor is a failed read.
 */
export class BuiltInRoleCache {
  private readonly kept = new Map<string, { role: Promise<RoleDefinitionRecord>; until: number }>();

  constructor(
    private readonly roleDefinitions: RoleDefinitions,
    private readonly ttlMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** As RoleDefinitions.getById. */
  getById(roleDefinitionId: string): Promise<RoleDefinitionRecord> {
    // Built-in roles have one GUID whatever the subscription prefix the assignment names them with.
    const key = roleDefinitionKey(roleDefinitionId);
    const entry = this.kept.get(key);
    if (entry && entry.until > this.now()) return entry.role;
    const role = this.roleDefinitions.getById(roleDefinitionId);
    this.kept.set(key, { role, until: this.now() + this.ttlMs });
    role.then(
      (read) => {
        if (read.roleType !== 'BuiltInRole') this.forget(key, role);
      },
      () => this.forget(key, role),
    );
    return role;
  }

  private forget(key: string, role: Promise<RoleDefinitionRecord>): void {
    if (this.kept.get(key)?.role === role) this.kept.delete(key);
  }
}
