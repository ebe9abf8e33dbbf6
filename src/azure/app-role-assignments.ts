import { z } from 'zod';
import type { AzureClients } from './clients.ts';
import type { AzureCallContext } from './errors.ts';
import { collectionOf } from './graph-paging.ts';
import { graphRequest } from './graph-request.ts';
import type { RequestIdSink } from './request-ids.ts';
import { parseResponse } from './response.ts';

/**
 * An app-role assignment as Graph v1.0 returns it. Loose: every field Graph sends is kept, so what an action
 * puts on record as the prior state is the whole object, not the part the bot reads.
 */
const appRoleAssignmentSchema = z.looseObject({
  id: z.string().min(1),
  appRoleId: z.string().min(1),
  principalId: z.string().min(1),
  principalType: z.string().nullish(),
  resourceId: z.string().min(1),
  resourceDisplayName: z.string().nullish(),
  createdDateTime: z.string().nullish(),
});

export type AppRoleAssignmentRecord = z.infer<typeof appRoleAssignmentSchema>;

/** What a grant needs: the resource service principal (Microsoft Graph's, for a Graph permission) and its app role. */
export interface NewAppRoleAssignment {
  resourceId: string;
  appRoleId: string;
}

/**
 * The app roles (application permissions) a service principal holds, through Microsoft Graph with the bot's
 * identity: list (Application.Read.All or Directory.Read.All), delete and grant (AppRoleAssignment.ReadWrite.All,
 * itself a critical permission: whoever holds it can grant any app role to anyone, the bot included).
 */
export class AppRoleAssignments {
  constructor(private readonly clients: Pick<AzureClients, 'graph'>) {}

  /** `GET /servicePrincipals/{id}/appRoleAssignments`, every page. A missing principal is a 404 AzureApiError. */
  async listOf(principalId: string, requestIds?: RequestIdSink): Promise<AppRoleAssignmentRecord[]> {
    const context = this.context('servicePrincipals.appRoleAssignments.list', principalId);
    const client = await this.clients.graph();
    const assignments: AppRoleAssignmentRecord[] = [];
    const pageSchema = collectionOf(appRoleAssignmentSchema);
    let path: string | undefined = `/servicePrincipals/${encodeURIComponent(principalId)}/appRoleAssignments`;
    while (path) {
      const page: z.infer<typeof pageSchema> = parseResponse(pageSchema, await graphRequest(client, { method: 'GET', path }, context, requestIds), context);
      assignments.push(...page.value);
      path = page['@odata.nextLink'];
    }
    return assignments;
  }

  /** `DELETE /servicePrincipals/{id}/appRoleAssignments/{assignmentId}` (204); a 404 means it is gone already. */
  async remove(principalId: string, assignmentId: string, requestIds?: RequestIdSink): Promise<void> {
    const client = await this.clients.graph();
    const path = `/servicePrincipals/${encodeURIComponent(principalId)}/appRoleAssignments/${encodeURIComponent(assignmentId)}`;
    await graphRequest(client, { method: 'DELETE', path }, this.context('servicePrincipals.appRoleAssignments.delete', `${principalId}/${assignmentId}`), requestIds);
  }

  /** `POST /servicePrincipals/{id}/appRoleAssignments` (201). Graph refuses a grant the principal holds already with 400 Request_BadRequest. */
  async grant(principalId: string, assignment: NewAppRoleAssignment, requestIds?: RequestIdSink): Promise<AppRoleAssignmentRecord> {
    const context = this.context('servicePrincipals.appRoleAssignments.create', principalId);
    const client = await this.clients.graph();
    const path = `/servicePrincipals/${encodeURIComponent(principalId)}/appRoleAssignments`;
    const created = await graphRequest(client, { method: 'POST', path, body: { principalId, resourceId: assignment.resourceId, appRoleId: assignment.appRoleId } }, context, requestIds);
    return parseResponse(appRoleAssignmentSchema, created, context);
  }

  private context(operation: string, target: string): AzureCallContext {
    return { service: 'graph', operation, target };
  }
}
