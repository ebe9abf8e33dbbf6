import { z } from 'zod';
import type { EmulatorResponse } from '../server/exchange.ts';

/**
 * Azure DevOps Services REST wire facts the work-item sink speaks (api-version 7.1), in one place.
 * Sources: learn.microsoft.com/rest/api/azure/devops/wit (work-items/create, work-items/update, work-items/list,
 * comments/add-work-item-comment, wiql/query-by-wiql, work-item-type-states/list),
 * learn.microsoft.com/azure/devops/integrate/concepts/rate-limits (429, TF400733, Retry-After, X-RateLimit-*),
 * microsoft/azure-devops-node-api (WorkItemTrackingInterfaces, RateLimitUtils.ts), and @azure/identity's
 * AzurePipelinesCredential ("X-TFS-FedAuthRedirect: Suppress" keeps the service from answering with a sign-in redirect).
 */

/** Azure DevOps' resource (application) id: the audience of a Microsoft Entra token for Azure DevOps. */
export const AZURE_DEVOPS_RESOURCE_ID = '499b84ac-1321-427f-aa17-267ca6975798';

/** One JSON Patch operation (RFC 6902) as the work item create and update operations document it. */
export const JsonPatchOperation = z.strictObject({
  op: z.enum(['add', 'remove', 'replace', 'move', 'copy', 'test']),
  path: z.string(),
  value: z.unknown().optional(),
  from: z.string().nullish(),
});

/** The body of POST .../workitems/${type} and PATCH .../workitems/{id}: `application/json-patch+json`. */
export const JsonPatchDocument = z.array(JsonPatchOperation);

/** CommentCreate: the body of POST .../workItems/{id}/comments. */
export const CommentCreateRequest = z.strictObject({ text: z.string() });

/** Wiql: the body of POST .../_apis/wit/wiql. */
export const WiqlRequest = z.strictObject({ query: z.string() });

/** The fully qualified .NET exception each error key stands for, as the service reports it in `typeName`. */
const TYPE_NAMES: Record<string, string> = {
  WorkItemUnauthorizedAccessException: 'Microsoft.TeamFoundation.WorkItemTracking.Server.WorkItemUnauthorizedAccessException, Microsoft.TeamFoundation.WorkItemTracking.Server',
  RuleValidationException: 'Microsoft.TeamFoundation.WorkItemTracking.Server.RuleValidationException, Microsoft.TeamFoundation.WorkItemTracking.Server',
  WorkItemFieldInvalidException: 'Microsoft.TeamFoundation.WorkItemTracking.Server.WorkItemFieldInvalidException, Microsoft.TeamFoundation.WorkItemTracking.Server',
  WorkItemTypeNotFoundException: 'Microsoft.TeamFoundation.WorkItemTracking.Server.Metadata.WorkItemTypeNotFoundException, Microsoft.TeamFoundation.WorkItemTracking.Server',
  UnauthorizedRequestException: 'Microsoft.TeamFoundation.Framework.Server.UnauthorizedRequestException, Microsoft.TeamFoundation.Framework.Server',
  ProjectDoesNotExistWithNameException: 'Microsoft.TeamFoundation.Core.WebApi.ProjectDoesNotExistWithNameException, Microsoft.TeamFoundation.Core.WebApi',
  RequestBlockedException: 'Microsoft.TeamFoundation.Framework.Server.RequestBlockedException, Microsoft.TeamFoundation.Framework.Server',
};

const typeNameOf = (typeKey: string) => TYPE_NAMES[typeKey] ?? `Microsoft.VisualStudio.Services.WebApi.${typeKey}, Microsoft.VisualStudio.Services.WebApi`;

export function devOpsErrorBody(message: string, typeKey: string) {
  return { $id: '1', innerException: null, message, typeName: typeNameOf(typeKey), typeKey, errorCode: 0, eventId: 3000 };
}

/** An answer in Azure DevOps' error shape, thrown by the sink's routes. */
export class DevOpsError extends Error {
  override readonly name = 'DevOpsError';
  constructor(
    readonly status: number,
    message: string,
    readonly typeKey: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  response(): EmulatorResponse {
    return { status: this.status, headers: this.headers, body: devOpsErrorBody(this.message, this.typeKey) };
  }
}

/** The emulator lacks a feature Azure DevOps has: said plainly, never guessed. */
export const notImplemented = (what: string) => new DevOpsError(400, `The idwarden emulator does not implement ${what}.`, 'NotImplementedByEmulator');

/**
 * A blocked request as Azure DevOps answers it (429, TF400733, Retry-After and the X-RateLimit-* headers), for a fault
 * rule: `core.faults.add({ route: 'devops.workItems.create', times: 1, response: devOpsThrottled() })`.
 */
export function devOpsThrottled(options: { retryAfterSeconds?: number; resetEpochSeconds?: number } = {}): EmulatorResponse {
  return {
    status: 429,
    headers: {
      'retry-after': String(options.retryAfterSeconds ?? 30),
      'x-ratelimit-resource': 'ATCPU',
      'x-ratelimit-delay': '0.000',
      'x-ratelimit-limit': '200',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String(options.resetEpochSeconds ?? 1_798_761_600),
      'content-type': 'application/json; charset=utf-8',
    },
    body: devOpsErrorBody("TF400733: The request has been canceled: Request was blocked due to exceeding usage of resource 'ATCPU' in namespace 'User'.", 'RequestBlockedException'),
  };
}

/** A state of a work item type with its category, as Work Item Type States - List reports it. */
export interface WorkItemStateDefinition {
  name: string;
  category: 'Proposed' | 'InProgress' | 'Resolved' | 'Completed' | 'Removed';
  color: string;
}

const state = (name: string, category: WorkItemStateDefinition['category'], color: string): WorkItemStateDefinition => ({ name, category, color });
const BASIC_STATES = [state('To Do', 'Proposed', 'b2b2b2'), state('Doing', 'InProgress', '007acc'), state('Done', 'Completed', '339933')];

/**
 * Work item types and their states per inherited process (the first state is a new item's). Processes differ in
 * what "closed" is called (Done in Basic and Scrum, Closed in Agile), which is why the bot reads the states' categories.
 */
export const PROCESSES: Record<'Basic' | 'Agile' | 'Scrum', Record<string, WorkItemStateDefinition[]>> = {
  Basic: { Issue: BASIC_STATES, Task: BASIC_STATES, Epic: BASIC_STATES },
  Agile: {
    Issue: [state('Active', 'InProgress', '007acc'), state('Closed', 'Completed', '339933')],
    Bug: [state('New', 'Proposed', 'b2b2b2'), state('Active', 'InProgress', '007acc'), state('Resolved', 'Resolved', 'ff9d00'), state('Closed', 'Completed', '339933')],
    Task: [state('New', 'Proposed', 'b2b2b2'), state('Active', 'InProgress', '007acc'), state('Closed', 'Completed', '339933'), state('Removed', 'Removed', 'ffffff')],
    'User Story': [
      state('New', 'Proposed', 'b2b2b2'),
      state('Active', 'InProgress', '007acc'),
      state('Resolved', 'Resolved', 'ff9d00'),
      state('Closed', 'Completed', '339933'),
      state('Removed', 'Removed', 'ffffff'),
    ],
  },
  Scrum: {
    Impediment: [state('Open', 'InProgress', '007acc'), state('Closed', 'Completed', '339933')],
    Bug: [state('New', 'Proposed', 'b2b2b2'), state('Approved', 'Proposed', 'b2b2b2'), state('Committed', 'InProgress', '007acc'), state('Done', 'Completed', '339933'), state('Removed', 'Removed', 'ffffff')],
    Task: [state('To Do', 'Proposed', 'b2b2b2'), state('In Progress', 'InProgress', '007acc'), state('Done', 'Completed', '339933'), state('Removed', 'Removed', 'ffffff')],
  },
};

export type ProcessName = keyof typeof PROCESSES;
