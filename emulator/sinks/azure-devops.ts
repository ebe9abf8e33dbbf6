import type { z } from 'zod';
import type { EmulatorCore } from '../core.ts';
import { header, json, type EmulatorRequest, type EmulatorResponse } from '../server/exchange.ts';
import { path, type Route } from '../server/route.ts';
import { deriveGuid } from '../state/ids.ts';
import { recordOf, type RecordedRequest } from './recorded.ts';
import {
  AZURE_DEVOPS_RESOURCE_ID,
  CommentCreateRequest,
  DevOpsError,
  JsonPatchDocument,
  type JsonPatchOperation,
  notImplemented,
  PROCESSES,
  WiqlRequest,
  type ProcessName,
  type WorkItemStateDefinition,
} from './azure-devops-wire.ts';
import { assertDatePrecision, matches, parseWiql, tagsOf } from './wiql.ts';

/**
 * Azure DevOps Services work items under `{baseUrl}/devops/{organization}` (the bot's IDWARDEN_AZURE_DEVOPS_URL is
 * `{baseUrl}/devops`, as it would be https://dev.azure.com).
 *
 * Supports: create (JSON Patch: add/replace/remove on /fields/...; System.History becomes a comment), update, get,
 * list by ids (fields, errorPolicy), add comment (7.1-preview.4), a flat WIQL subset (see wiql.ts; `$top`,
 * `timePrecision` for date comparisons), the states of a
 * work item type; Basic, Agile and Scrum state sets; Microsoft Entra bearer tokens from the emulator's issuer with
 * Azure DevOps' audience, for principals that are members of the organization (the bot, plus `members`).
 * Authentication failures answer 401 (TF400813) when the client sends `X-TFS-FedAuthRedirect: Suppress`, otherwise
 * 203 with an HTML sign-in page, as Azure DevOps does.
 * Does not support: relations (links), test/move/copy patch operations, attachments, teams in the WIQL URL, OR and
 * parentheses in WIQL, validateOnly, personal access tokens (Basic auth).
 */

export const DEVOPS_PATH = '/devops';

export interface DevOpsProject {
  id: string;
  name: string;
  organization: string;
  process: ProcessName;
}

export interface DevOpsComment {
  id: number;
  workItemId: number;
  version: number;
  text: string;
  /** Principal id of the token that wrote it. */
  createdBy: string;
  createdDate: string;
}

export interface DevOpsWorkItem {
  id: number;
  rev: number;
  organization: string;
  project: DevOpsProject;
  type: string;
  fields: Record<string, unknown>;
  comments: DevOpsComment[];
}

/** The work items the bot created and every request the sink accepted; survives re-seeds like the mail sink. */
export class DevOpsSink {
  readonly workItems: DevOpsWorkItem[] = [];
  readonly requests: RecordedRequest[] = [];
  /** Principals added to the organizations besides the bot: Azure DevOps lets only members in. */
  readonly members = new Set<string>();
  private readonly projects = new Map<string, DevOpsProject>();
  private nextId = 1;
  private nextCommentId = 1;

  constructor(projects: readonly { organization: string; project: string; process?: ProcessName }[] = [{ organization: 'contoso', project: 'SecOps' }]) {
    for (const { organization, project, process } of projects) this.addProject(organization, project, process);
  }

  addProject(organization: string, name: string, process: ProcessName = 'Basic'): DevOpsProject {
    const key = `${organization}/${name}`.toLowerCase();
    const project = this.projects.get(key) ?? { id: deriveGuid('devops-project', key), name, organization, process };
    this.projects.set(key, project);
    return project;
  }

  projectList(): DevOpsProject[] {
    return [...this.projects.values()];
  }

  hasOrganization(organization: string): boolean {
    return this.projectList().some((project) => project.organization.toLowerCase() === organization.toLowerCase());
  }

  project(organization: string, nameOrId: string): DevOpsProject | undefined {
    return this.projectList().find(
      (project) => project.organization.toLowerCase() === organization.toLowerCase() && (project.name.toLowerCase() === nameOrId.toLowerCase() || project.id === nameOrId.toLowerCase()),
    );
  }

  statesOf(project: DevOpsProject, type: string): { type: string; states: WorkItemStateDefinition[] } | undefined {
    const entry = Object.entries(PROCESSES[project.process]).find(([name]) => name.toLowerCase() === type.toLowerCase());
    return entry ? { type: entry[0], states: entry[1] } : undefined;
  }

  workItem(organization: string, id: number): DevOpsWorkItem | undefined {
    return this.workItems.find((item) => item.id === id && item.organization.toLowerCase() === organization.toLowerCase());
  }

  allocateId(): number {
    return this.nextId++;
  }

  addComment(item: DevOpsWorkItem, text: string, principalId: string, at: string): DevOpsComment {
    const comment = { id: this.nextCommentId++, workItemId: item.id, version: 1, text, createdBy: principalId, createdDate: at };
    item.comments.push(comment);
    item.fields['System.CommentCount'] = item.comments.length;
    return comment;
  }

  /** Forgets work items and requests (ids start again at 1); projects and members stay. */
  reset(): void {
    this.workItems.length = 0;
    this.requests.length = 0;
    this.nextId = 1;
    this.nextCommentId = 1;
  }
}

interface DevOpsContext {
  core: EmulatorCore;
  sink: DevOpsSink;
  organization: string;
  /** `{baseUrl}/devops/{organization}`: where the service's own URLs point. */
  orgBase: string;
  principalId: string;
  params: Record<string, string>;
}

/** The page Azure DevOps serves instead of an API answer when it wants a browser to sign in. */
class SignInRedirect extends DevOpsError {
  override response(): EmulatorResponse {
    return {
      status: 203,
      headers: { 'content-type': 'text/html; charset=utf-8' },
      body: '<!DOCTYPE html><html><head><title>Azure DevOps Services | Sign In</title></head><body>Sign in to continue to Azure DevOps.</body></html>',
    };
  }
}

/**
 * A Microsoft Entra token from this emulator's issuer (signature, tenant, lifetime), for Azure DevOps' audience,
 * held by a member of the organization. Without `X-TFS-FedAuthRedirect: Suppress` a failure is the 203 sign-in page.
 */
function authenticate(req: EmulatorRequest, core: EmulatorCore, sink: DevOpsSink): string {
  const suppressed = header(req, 'x-tfs-fedauthredirect')?.toLowerCase() === 'suppress';
  const refuse = (who: string | undefined) =>
    suppressed
      ? new DevOpsError(
          401,
          who === undefined ? 'TF400813: Resource not available for anonymous access. Client authentication required.' : `TF400813: The user '${who}' is not authorized to access this resource.`,
          'UnauthorizedRequestException',
          { 'www-authenticate': `Bearer authorization_uri=https://login.microsoftonline.com/${core.tenant.tenantId}` },
        )
      : new SignInRedirect(203, 'sign in', 'SignIn');
  const match = /^Bearer\s+(\S+)$/i.exec(header(req, 'authorization') ?? '');
  if (!match) throw refuse(undefined);
  const verdict = core.tokens.verify(match[1]!, core.tenant.tenantId);
  if (!verdict.ok || verdict.claims.aud !== AZURE_DEVOPS_RESOURCE_ID) throw refuse('');
  const principalId = verdict.claims.oid;
  if (principalId !== core.tenant.bot.principalId && !sink.members.has(principalId)) throw refuse(principalId);
  return principalId;
}

function checkApiVersion(req: EmulatorRequest, versions: readonly string[]): void {
  const version = req.query.get('api-version');
  if (!version) {
    throw new DevOpsError(400, `No api-version was supplied for the ${req.method} request. An api-version must be supplied as a query parameter (api-version=${versions[0]}).`, 'VssVersionNotSpecifiedException');
  }
  if (versions.includes(version)) return;
  const preview = versions.find((candidate) => candidate.startsWith(`${version}-preview`));
  if (preview) {
    throw new DevOpsError(
      400,
      `The requested version "${version}" of the resource is under preview. The -preview flag must be supplied in the api-version for such requests. For example: "${preview}"`,
      'VssInvalidPreviewVersionException',
    );
  }
  throw new DevOpsError(400, `The idwarden emulator answers this operation for api-version ${versions.join(', ')}, not ${version}.`, 'VssVersionOutOfRangeException');
}

type Handler = (req: EmulatorRequest, ctx: DevOpsContext) => EmulatorResponse;

/** An Azure DevOps route: organization, Entra authentication, api-version, DevOps-shaped errors, recording. */
function devOpsRoute(name: string, method: Route['method'], template: string, versions: readonly string[], handle: Handler): Route {
  return {
    name,
    method,
    service: 'devops',
    pattern: path(`${DEVOPS_PATH}/{organization}${template}`),
    // The audience is Azure DevOps', not ARM's or Graph's: this route checks the token itself.
    anonymous: true,
    handle(req, ctx) {
      const sink = ctx.core.sinks.devops;
      const organization = ctx.params['organization']!;
      try {
        if (!sink.hasOrganization(organization)) {
          throw new DevOpsError(404, `The idwarden emulator has no Azure DevOps organization '${organization}' (add a project to it through POST /_emulator/sinks/devops/projects).`, 'OrganizationNotFoundException');
        }
        const principalId = authenticate(req, ctx.core, sink);
        checkApiVersion(req, versions);
        const response = handle(req, { core: ctx.core, sink, organization, orgBase: `${req.baseUrl}${DEVOPS_PATH}/${organization}`, principalId, params: ctx.params });
        sink.requests.push(recordOf(name, req));
        return response;
      } catch (error) {
        if (!(error instanceof DevOpsError)) throw error;
        return error.response();
      }
    },
  };
}

function projectFrom(ctx: DevOpsContext): DevOpsProject {
  const name = ctx.params['project']!;
  const project = ctx.sink.project(ctx.organization, name);
  if (!project) {
    throw new DevOpsError(
      404,
      `TF200016: The following project does not exist: ${name}. Verify that the name of the project is correct and that the project exists on the specified Azure DevOps Server.`,
      'ProjectDoesNotExistWithNameException',
    );
  }
  return project;
}

const workItemMissing = (id: string | number) =>
  new DevOpsError(404, `TF401232: Work item ${id} does not exist, or you do not have permissions to read it.`, 'WorkItemUnauthorizedAccessException');

function workItemFrom(ctx: DevOpsContext): DevOpsWorkItem {
  const raw = ctx.params['id']!;
  const item = /^\d+$/.test(raw) ? ctx.sink.workItem(ctx.organization, Number(raw)) : undefined;
  if (!item || (ctx.params['project'] !== undefined && !ctx.sink.project(ctx.organization, ctx.params['project']))) throw workItemMissing(raw);
  return item;
}

function identityRef(ctx: DevOpsContext, principalId: string) {
  const principal = ctx.core.tenant.directoryObject(principalId)?.object as { displayName?: string } | undefined;
  return {
    displayName: principal?.displayName ?? principalId,
    url: `${ctx.orgBase}/_apis/Identities/${principalId}`,
    id: principalId,
    uniqueName: principalId,
    descriptor: `aadsp.${Buffer.from(principalId).toString('base64url')}`,
  };
}

function renderWorkItem(ctx: DevOpsContext, item: DevOpsWorkItem, fields?: readonly string[]) {
  const url = `${ctx.orgBase}/${item.project.id}/_apis/wit/workItems/${item.id}`;
  const identityFields = new Set(['System.CreatedBy', 'System.ChangedBy']);
  const selected = Object.entries(item.fields).filter(([name]) => !fields || fields.some((wanted) => wanted.toLowerCase() === name.toLowerCase()));
  return {
    id: item.id,
    rev: item.rev,
    fields: Object.fromEntries(selected.map(([name, value]) => [name, identityFields.has(name) ? identityRef(ctx, String(value)) : value])),
    ...(fields
      ? {}
      : {
          _links: {
            self: { href: url },
            workItemUpdates: { href: `${url}/updates` },
            workItemRevisions: { href: `${url}/revisions` },
            workItemComments: { href: `${url}/comments` },
            html: { href: `${ctx.orgBase}/${item.project.id}/_workitems/edit/${item.id}` },
            workItemType: { href: `${ctx.orgBase}/${item.project.id}/_apis/wit/workItemTypes/${encodeURIComponent(item.type)}` },
            fields: { href: `${ctx.orgBase}/${item.project.id}/_apis/wit/fields` },
          },
        }),
    url,
  };
}

function renderComment(ctx: DevOpsContext, item: DevOpsWorkItem, comment: DevOpsComment) {
  const author = identityRef(ctx, comment.createdBy);
  return {
    workItemId: item.id,
    id: comment.id,
    version: comment.version,
    text: comment.text,
    createdBy: author,
    createdDate: comment.createdDate,
    modifiedBy: author,
    modifiedDate: comment.createdDate,
    url: `${ctx.orgBase}/${item.project.id}/_apis/wit/workItems/${item.id}/comments/${comment.id}`,
  };
}

/** The fields a JSON Patch may write, by reference name; anything else is a field Azure DevOps would not find. */
const WRITABLE_FIELDS = [
  'System.Title',
  'System.Description',
  'System.Tags',
  'System.State',
  'System.Reason',
  'System.History',
  'System.AssignedTo',
  'System.AreaPath',
  'System.IterationPath',
  'Microsoft.VSTS.Common.Priority',
  'Microsoft.VSTS.Common.Severity',
];

const ruleError = (field: string, codes: string) => new DevOpsError(400, `TF401320: Rule Error for field ${field}. Error code: ${codes}.`, 'RuleValidationException');

type PatchOperation = z.infer<typeof JsonPatchOperation>;

function requireJsonPatch(req: EmulatorRequest): PatchOperation[] {
  const contentType = header(req, 'content-type') ?? '';
  if (!/^application\/json-patch\+json\b/i.test(contentType)) {
    throw new DevOpsError(
      415,
      `The request indicated a Content-Type of "${contentType.split(';')[0]}" for method type "${req.method}" which is not supported. Valid content types for this method are: application/json-patch+json.`,
      'VssRequestContentTypeNotSupportedException',
    );
  }
  const parsed = JsonPatchDocument.safeParse(req.body);
  if (!parsed.success) throw new DevOpsError(400, 'You must pass a valid patch document in the body of the request.', 'VssPropertyValidationException');
  return parsed.data;
}

/**
 * Applies a JSON Patch to a copy of the fields and checks the work item type's rules; returns the new fields and the
 * System.History text, which Azure DevOps turns into a discussion comment rather than keeping as a field.
 */
function applyPatch(operations: PatchOperation[], current: Record<string, unknown>, states: WorkItemStateDefinition[]): { fields: Record<string, unknown>; history: string | undefined } {
  const fields = { ...current };
  let history: string | undefined;
  for (const operation of operations) {
    if (operation.path.toLowerCase().startsWith('/relations')) throw notImplemented('work item relations (links)');
    if (operation.op !== 'add' && operation.op !== 'replace' && operation.op !== 'remove') throw notImplemented(`JSON Patch '${operation.op}' operations`);
    const match = /^\/fields\/(.+)$/.exec(operation.path);
    if (!match) throw new DevOpsError(400, `The path '${operation.path}' is not a valid work item patch path.`, 'VssPropertyValidationException');
    const field = WRITABLE_FIELDS.find((name) => name.toLowerCase() === match[1]!.toLowerCase());
    if (!field) throw new DevOpsError(400, `TF51535: Cannot find field ${match[1]}.`, 'WorkItemFieldInvalidException');
    if (operation.op === 'remove') {
      delete fields[field];
    } else if (field === 'System.History') {
      history = String(operation.value ?? '');
    } else if (field === 'System.Tags') {
      fields[field] = [...new Map(tagsOf(operation.value).map((tag) => [tag.toLowerCase(), tag])).values()].join('; ');
    } else {
      fields[field] = operation.value;
    }
  }
  const title = fields['System.Title'];
  if (typeof title !== 'string' || title.trim() === '') throw ruleError('Title', 'Required, InvalidEmpty');
  if (title.length > 255) throw ruleError('Title', 'MaxLength');
  if (!states.some((state) => state.name === fields['System.State'])) throw ruleError('State', 'Required, HasValues, LimitedToValues, AllowsOldValue, InvalidEmpty');
  if (fields['System.Tags'] === '') delete fields['System.Tags'];
  return { fields, history };
}

function typeOf(ctx: DevOpsContext, project: DevOpsProject, raw: string) {
  const found = ctx.sink.statesOf(project, raw);
  if (!found) {
    throw new DevOpsError(404, `VS402323: Work item type ${raw} does not exist in project ${project.name} or you do not have permission to access it.`, 'WorkItemTypeNotFoundException');
  }
  return found;
}

function createWorkItem(req: EmulatorRequest, ctx: DevOpsContext): EmulatorResponse {
  const project = projectFrom(ctx);
  const { type, states } = typeOf(ctx, project, ctx.params['type']!);
  const operations = requireJsonPatch(req);
  const at = req.receivedAt.toISOString();
  const defaults = {
    'System.AreaPath': project.name,
    'System.TeamProject': project.name,
    'System.IterationPath': project.name,
    'System.WorkItemType': type,
    'System.State': states[0]!.name,
    'System.Reason': 'New',
  };
  const { fields, history } = applyPatch(operations, defaults, states);
  const item: DevOpsWorkItem = {
    id: ctx.sink.allocateId(),
    rev: 1,
    organization: ctx.organization,
    project,
    type,
    fields: { ...fields, 'System.CreatedDate': at, 'System.CreatedBy': ctx.principalId, 'System.ChangedDate': at, 'System.ChangedBy': ctx.principalId, 'System.CommentCount': 0 },
    comments: [],
  };
  ctx.sink.workItems.push(item);
  if (history) ctx.sink.addComment(item, history, ctx.principalId, at);
  return json(200, renderWorkItem(ctx, item));
}

function updateWorkItem(req: EmulatorRequest, ctx: DevOpsContext): EmulatorResponse {
  const item = workItemFrom(ctx);
  const operations = requireJsonPatch(req);
  const { states } = typeOf(ctx, item.project, item.type);
  const { fields, history } = applyPatch(operations, item.fields, states);
  const at = req.receivedAt.toISOString();
  item.fields = { ...fields, 'System.ChangedDate': at, 'System.ChangedBy': ctx.principalId };
  item.rev += 1;
  if (history) ctx.sink.addComment(item, history, ctx.principalId, at);
  return json(200, renderWorkItem(ctx, item));
}

function listWorkItems(req: EmulatorRequest, ctx: DevOpsContext): EmulatorResponse {
  if (ctx.params['project'] !== undefined) projectFrom(ctx);
  const raw = req.query.get('ids');
  if (!raw) throw new DevOpsError(400, 'The ids parameter is required.', 'VssPropertyValidationException');
  const ids = raw.split(',').map((id) => id.trim());
  if (ids.length > 200) throw new DevOpsError(400, 'VS403474: The maximum number of work items that can be requested at once is 200.', 'VssPropertyValidationException');
  const fields = req.query.get('fields')?.split(',').map((field) => field.trim());
  const omit = req.query.get('errorPolicy')?.toLowerCase() === 'omit';
  const value = ids.map((id) => {
    const item = /^\d+$/.test(id) ? ctx.sink.workItem(ctx.organization, Number(id)) : undefined;
    if (!item && !omit) throw workItemMissing(id);
    return item ? renderWorkItem(ctx, item, fields) : null;
  });
  return json(200, { count: value.length, value });
}

function addComment(req: EmulatorRequest, ctx: DevOpsContext): EmulatorResponse {
  const item = workItemFrom(ctx);
  const parsed = CommentCreateRequest.safeParse(req.body);
  if (!parsed.success) throw new DevOpsError(400, 'Value cannot be null.\r\nParameter name: request', 'ArgumentNullException');
  if (parsed.data.text.trim() === '') throw new DevOpsError(400, 'The comment text cannot be empty.', 'ArgumentException');
  const comment = ctx.sink.addComment(item, parsed.data.text, ctx.principalId, req.receivedAt.toISOString());
  return json(200, renderComment(ctx, item, comment));
}

const FIELD_NAMES: Record<string, string> = { 'system.id': 'ID', 'system.title': 'Title', 'system.state': 'State', 'system.tags': 'Tags', 'system.workitemtype': 'Work Item Type' };

function queryByWiql(req: EmulatorRequest, ctx: DevOpsContext): EmulatorResponse {
  const project = projectFrom(ctx);
  const body = WiqlRequest.safeParse(req.body);
  if (!body.success) throw new DevOpsError(400, 'The request body must be a Wiql object with a query.', 'VssPropertyValidationException');
  const query = parseWiql(body.data.query);
  const timePrecision = (req.query.get('timePrecision') ?? '').toLowerCase() === 'true';
  assertDatePrecision(query, timePrecision);
  const column = (field: string) => ({ referenceName: field, name: FIELD_NAMES[field.toLowerCase()] ?? field, url: `${ctx.orgBase}/_apis/wit/fields/${field}` });
  const valueOf = (item: DevOpsWorkItem, field: string) =>
    field.toLowerCase() === 'system.id' ? item.id : Object.entries(item.fields).find(([name]) => name.toLowerCase() === field.toLowerCase())?.[1];
  const top = req.query.get('$top');
  const matched = ctx.sink.workItems
    // Without [System.TeamProject] = @project a WIQL query spans the organization, as in Azure DevOps.
    .filter((item) => item.organization.toLowerCase() === ctx.organization.toLowerCase())
    .filter((item) => query.where.every((condition) => matches({ ...item.fields, 'System.Id': item.id }, condition, project.name, timePrecision)))
    .sort((a, b) => {
      for (const { field, descending } of query.orderBy) {
        const order = String(valueOf(a, field) ?? '').localeCompare(String(valueOf(b, field) ?? ''), undefined, { numeric: true });
        if (order !== 0) return descending ? -order : order;
      }
      return a.id - b.id;
    });
  if (!top && matched.length > 20_000) throw new DevOpsError(400, 'VS402337: The number of work items returned exceeds the size limit of 20000. Change the query to return fewer items.', 'WorkItemTrackingQueryResultSizeLimitExceededException');
  return json(200, {
    queryType: 'flat',
    queryResultType: 'workItem',
    asOf: req.receivedAt.toISOString(),
    columns: query.fields.map(column),
    sortColumns: query.orderBy.map(({ field, descending }) => ({ field: column(field), descending })),
    workItems: matched.slice(0, top ? Number(top) : undefined).map((item) => ({ id: item.id, url: `${ctx.orgBase}/${item.project.id}/_apis/wit/workItems/${item.id}` })),
  });
}

function listStates(_req: EmulatorRequest, ctx: DevOpsContext): EmulatorResponse {
  const { states } = typeOf(ctx, projectFrom(ctx), ctx.params['type']!);
  return json(200, { count: states.length, value: states.map(({ name, color, category }) => ({ name, color, category })) });
}

const WORK_ITEM_VERSIONS = ['7.1', '7.0', '7.1-preview.3'];
const COMMENT_VERSIONS = ['7.1-preview.4', '7.0-preview.3', '7.2-preview.4'];

export const devOpsRoutes: Route[] = [
  devOpsRoute('devops.workItems.create', 'POST', '/{project}/_apis/wit/workitems/${type}', WORK_ITEM_VERSIONS, createWorkItem),
  devOpsRoute('devops.workItems.update', 'PATCH', '/{project}/_apis/wit/workitems/{id}', WORK_ITEM_VERSIONS, updateWorkItem),
  devOpsRoute('devops.workItems.update', 'PATCH', '/_apis/wit/workitems/{id}', WORK_ITEM_VERSIONS, updateWorkItem),
  devOpsRoute('devops.workItems.get', 'GET', '/{project}/_apis/wit/workitems/{id}', WORK_ITEM_VERSIONS, (_req, ctx) => json(200, renderWorkItem(ctx, workItemFrom(ctx)))),
  devOpsRoute('devops.workItems.get', 'GET', '/_apis/wit/workitems/{id}', WORK_ITEM_VERSIONS, (_req, ctx) => json(200, renderWorkItem(ctx, workItemFrom(ctx)))),
  devOpsRoute('devops.workItems.list', 'GET', '/{project}/_apis/wit/workitems', WORK_ITEM_VERSIONS, listWorkItems),
  devOpsRoute('devops.workItems.list', 'GET', '/_apis/wit/workitems', WORK_ITEM_VERSIONS, listWorkItems),
  devOpsRoute('devops.comments.add', 'POST', '/{project}/_apis/wit/workItems/{id}/comments', COMMENT_VERSIONS, addComment),
  devOpsRoute('devops.wiql.query', 'POST', '/{project}/_apis/wit/wiql', ['7.1', '7.0', '7.1-preview.2'], queryByWiql),
  devOpsRoute('devops.workItemTypeStates.list', 'GET', '/{project}/_apis/wit/workitemtypes/{type}/states', ['7.1', '7.0', '7.1-preview.1'], listStates),
];
