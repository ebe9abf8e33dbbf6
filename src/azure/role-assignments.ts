import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { RoleAssignmentRecord } from '../model/snapshot.ts';
import { SCOPE_ADDRESSED, type AzureClients } from './clients.ts';
import { callAzure, toAzureApiError, type AzureCallContext } from './errors.ts';
import { parseResponse, unexpectedResponse } from './response.ts';
import { scopeKey } from '../rules/arm-scope.ts';
import { armRequestIds, type RequestIdSink } from './request-ids.ts';

/**
 * The role assignment fields the bot relies on, as @azure/arm-authorization 9 returns them
 * (flattened from `properties`, `createdOn` deserialised to a Date).
 */
const roleAssignmentSchema = z
  .object({
    id: z.string().min(1),
    name: z.string().min(1),
    scope: z.string().min(1),
    roleDefinitionId: z.string().min(1),
    principalId: z.string().min(1),
    principalType: z.string().min(1),
    condition: z.string().nullish(),
    createdOn: z.date().nullish(),
    createdBy: z.string().nullish(),
  })
  .transform(
    (assignment): RoleAssignmentRecord => ({
      id: assignment.id,
      name: assignment.name,
      scope: assignment.scope,
      roleDefinitionId: assignment.roleDefinitionId,
      principalId: assignment.principalId,
      principalType: assignment.principalType,
      condition: assignment.condition ?? null,
      createdOn: assignment.createdOn?.toISOString() ?? null,
      createdBy: assignment.createdBy ?? null,
    }),
  );

export interface ListOptions {
  /** ARM `$filter`: `atScope()`, `principalId eq '{id}'`, `assignedTo('{id}')`, or `atScope() and assignedTo('{id}')`. */
  filter?: string;
}

export interface NewRoleAssignment {
  /** Full role definition id (`/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}` or tenant form). */
  roleDefinitionId: string;
  principalId: string;
  /** Always sent: without it ARM looks the principal up and fails with PrincipalNotFound for a brand-new identity. */
  principalType: 'User' | 'Group' | 'ServicePrincipal' | 'ForeignGroup';
  condition?: string;
  /** Required by ARM with a condition; only '2.0' exists. */
  conditionVersion?: '2.0';
  description?: string;
  /** The assignment's GUID name; a new one when absent. */
  name?: string;
}

/** Azure role assignments (api-version 2022-04-01) through @azure/arm-authorization, as checked RoleAssignmentRecords. */
export class RoleAssignments {
  constructor(private readonly clients: AzureClients) {}

  /** Assignments at, above (inherited) and below a scope, or as the filter says. Pages are fetched as iteration proceeds. */
  listForScope(scope: string, options: ListOptions = {}, requestIds?: RequestIdSink): AsyncIterable<RoleAssignmentRecord> {
    const context = this.context('roleAssignments.listForScope', scope);
    return this.pages(context, SCOPE_ADDRESSED, (client) => client.roleAssignments.listForScope(scope, { ...options, ...armRequestIds(requestIds) }));
  }

  /** Assignments in a subscription (its resource groups and resources too) and those inherited from above it. */
  listForSubscription(subscriptionId: string, options: ListOptions = {}): AsyncIterable<RoleAssignmentRecord> {
    const context: AzureCallContext = { service: 'arm', operation: 'roleAssignments.listForSubscription', subscriptionId, target: `/subscriptions/${subscriptionId}` };
    return this.pages(context, subscriptionId, (client) => client.roleAssignments.listForSubscription(options));
  }

  /** Re-reads one assignment by its full id; a 404 (RoleAssignmentNotFound) is an AzureApiError that `isNotFound` recognises. */
  async get(roleAssignmentId: string, requestIds?: RequestIdSink): Promise<RoleAssignmentRecord> {
    const context = this.context('roleAssignments.getById', roleAssignmentId);
    const client = await this.clients.authorization(SCOPE_ADDRESSED);
    const assignment = parseResponse(roleAssignmentSchema, await callAzure(context, () => client.roleAssignments.getById(roleAssignmentId, armRequestIds(requestIds))), context);
    // What is acted on next is addressed by this id: it must be the assignment asked for.
    if (scopeKey(assignment.id) !== scopeKey(roleAssignmentId)) {
      throw unexpectedResponse(context, `the response is about ${assignment.id.slice(0, 300)}, not the assignment asked for`);
    }
    return assignment;
  }

  async create(scope: string, assignment: NewRoleAssignment, requestIds?: RequestIdSink): Promise<RoleAssignmentRecord> {
    const name = assignment.name ?? randomUUID();
    const context = this.context('roleAssignments.create', `${scope.replace(/\/+$/, '')}/providers/Microsoft.Authorization/roleAssignments/${name}`);
    const client = await this.clients.authorization(SCOPE_ADDRESSED);
    const created = await callAzure(context, () =>
      client.roleAssignments.create(scope, name, {
        roleDefinitionId: assignment.roleDefinitionId,
        principalId: assignment.principalId,
        principalType: assignment.principalType,
        ...(assignment.condition !== undefined ? { condition: assignment.condition, conditionVersion: assignment.conditionVersion ?? '2.0' } : {}),
        ...(assignment.description !== undefined ? { description: assignment.description } : {}),
      }, armRequestIds(requestIds)),
    );
    return parseResponse(roleAssignmentSchema, created, context);
  }

  /**
   * Deletes by full id. Returns the deleted assignment, or undefined when it was already gone
   * (ARM answers 204 for that): both mean the assignment no longer exists.
   */
  async deleteById(roleAssignmentId: string, requestIds?: RequestIdSink): Promise<RoleAssignmentRecord | undefined> {
    const context = this.context('roleAssignments.deleteById', roleAssignmentId);
    const client = await this.clients.authorization(SCOPE_ADDRESSED);
    const deleted = await callAzure(context, () => client.roleAssignments.deleteById(roleAssignmentId, armRequestIds(requestIds)));
    return deleted.id === undefined ? undefined : parseResponse(roleAssignmentSchema, deleted, context);
  }

  private context(operation: string, target: string): AzureCallContext {
    const subscriptionId = /^\/subscriptions\/([^/]+)/i.exec(target)?.[1];
    return { service: 'arm', operation, target, ...(subscriptionId ? { subscriptionId } : {}) };
  }

  private async *pages(
    context: AzureCallContext,
    subscriptionId: string,
    list: (client: Awaited<ReturnType<AzureClients['authorization']>>) => { byPage(): AsyncIterable<unknown[]> },
  ): AsyncIterable<RoleAssignmentRecord> {
    const client = await this.clients.authorization(subscriptionId);
    const pages = list(client).byPage()[Symbol.asyncIterator]();
    for (;;) {
      let page: IteratorResult<unknown[]>;
      try {
        page = await pages.next();
      } catch (error) {
        throw toAzureApiError(error, context);
      }
      if (page.done) return;
      for (const assignment of page.value) yield parseResponse(roleAssignmentSchema, assignment, context);
    }
  }
}
