import type { TokenCredential } from '@azure/identity';
import { z } from 'zod';
import type { Finding } from '../../model/finding.ts';
import { TicketError } from './errors.ts';
import { TicketHttp, retryAfterMs, type ServiceDialect, type TicketHttpOptions } from './http.ts';
import { htmlBody, htmlNote, ticketTitle } from './render.ts';
import { assertFingerprint, type TicketRef, type TicketTracker } from './tracker.ts';
import { TicketIndex, type SeenTicket, type TicketCache } from './ticket-index.ts';

/**
 * Tickets as Azure DevOps work items, through the REST API (7.1) with plain fetch.
 *
 * One work item per finding: it carries the tags `idwarden` and `idwarden:<finding id>`, and its description ends
 * with `idwarden-digest:<digest>`. Lookups use an index of the project's `idwarden` items, read once per run: one WIQL
 * query for their ids, then the items in batches of 200; in full the first time (and hourly), then only the items
 * changed since the previous read's `asOf` (`[System.ChangedDate] >=` with timePrecision). Closing moves the item to
 * its type's state in the Completed category and reopening to its first Proposed (else In Progress) state, read from
 * the type's states, so Basic (Done), Agile (Closed) and Scrum (Done) processes all work.
 *
 * Authentication: a Microsoft Entra token for Azure DevOps (scope `499b84ac-1321-427f-aa17-267ca6975798/.default`) from
 * the bot's TokenCredential: its managed identity, which must be added to the organization (a user with Basic
 * access, Contributor on the project). No personal access token. `X-TFS-FedAuthRedirect: Suppress` makes a refused
 * token a 401 instead of a 203 sign-in page. The base URL is IDWARDEN_AZURE_DEVOPS_URL (default https://dev.azure.com).
 */

export const AZURE_DEVOPS_SCOPE = '499b84ac-1321-427f-aa17-267ca6975798/.default';
export const DEVOPS_TAG = 'idwarden';

const WORK_ITEM_API = '7.1';
const COMMENTS_API = '7.1-preview.4';
const BATCH = 200;
const DIGEST = /idwarden-digest:([0-9a-f]{16,64})/;

export const devOpsDigestLine = (digest: string) => `idwarden-digest:${digest}`;

const WorkItem = z.object({ id: z.int().positive(), rev: z.int(), fields: z.record(z.string(), z.unknown()) });
type WorkItem = z.infer<typeof WorkItem>;
const WorkItemList = z.object({ count: z.int(), value: z.array(WorkItem.nullable()) });
const WiqlResult = z.object({ asOf: z.string().optional(), workItems: z.array(z.object({ id: z.int() })) });
const States = z.object({ value: z.array(z.object({ name: z.string(), category: z.string() })) });
const Comment = z.object({ id: z.int(), workItemId: z.int() });
const DevOpsErrorBody = z.object({ message: z.string(), typeKey: z.string().optional() });

export const devOpsDialect: ServiceDialect = {
  service: 'azure-devops',
  requestId: (headers) => headers.get('activityid') ?? headers.get('x-vss-e2eid') ?? undefined,
  describe(status, body) {
    // 203 with an HTML page is Azure DevOps asking a browser to sign in: the token was not accepted.
    if (status === 203) return { code: 'SignInRedirect', message: 'Azure DevOps answered with a sign-in page: the token was not accepted' };
    const parsed = DevOpsErrorBody.safeParse(body);
    if (!parsed.success) return { code: `Http${status}`, message: `HTTP ${status} without Azure DevOps' error body` };
    return { code: parsed.data.typeKey ?? `Http${status}`, message: parsed.data.message };
  },
  /** Blocked requests are 429 with Retry-After (rate limits), and 503 with Retry-After when the service is busy. */
  throttleDelayMs(status, headers, _body, nowMs) {
    if (status !== 429 && status !== 503) return undefined;
    return retryAfterMs(headers, nowMs) ?? (status === 429 ? 30_000 : undefined);
  },
};

export interface AzureDevOpsOptions {
  /** IDWARDEN_AZURE_DEVOPS_URL. */
  baseUrl: string;
  organization: string;
  project: string;
  /** The work item type (policy: tickets.azureDevOps.workItemType, default Issue). */
  workItemType?: string | undefined;
  credential: TokenCredential;
  http?: Pick<TicketHttpOptions, 'sleep' | 'fetch' | 'retry' | 'now'>;
  /** Kept between runs (see sharedTicketCache); a fresh one by default. */
  cache?: TicketCache;
}

export class AzureDevOpsTracker implements TicketTracker {
  readonly service = 'azure-devops' as const;
  private readonly http: TicketHttp;
  private readonly projectPath: string;
  private readonly workItemType: string;
  private readonly states = new Map<string, Promise<{ name: string; category: string }[]>>();
  private readonly tickets: TicketIndex;

  constructor(options: AzureDevOpsOptions) {
    if (!/^[\w.-]+$/.test(options.organization)) throw new TypeError(`'${options.organization}' is not an Azure DevOps organization name`);
    this.workItemType = options.workItemType ?? 'Issue';
    this.projectPath = `/${encodeURIComponent(options.organization)}/${encodeURIComponent(options.project)}`;
    const { credential } = options;
    this.http = new TicketHttp({
      baseUrl: options.baseUrl,
      dialect: devOpsDialect,
      authorization: async () => {
        const token = await credential.getToken(AZURE_DEVOPS_SCOPE);
        if (!token) throw new Error(`the credential returned no token for ${AZURE_DEVOPS_SCOPE}`);
        return `Bearer ${token.token}`;
      },
      headers: { accept: 'application/json', 'x-tfs-fedauthredirect': 'Suppress', 'user-agent': 'idwarden' },
      ...options.http,
    });
    this.tickets = new TicketIndex((since, seen) => this.read(since, seen), options.cache, options.http?.now);
  }

  find(fingerprint: string): Promise<TicketRef | undefined> {
    return this.tickets.find(fingerprint);
  }

  current(fingerprint: string, knownId: string | undefined, reach: 'one' | 'all'): Promise<TicketRef | undefined> {
    return this.tickets.current(fingerprint, knownId, reach, (id) => this.get(id, fingerprint));
  }

  async get(id: string, fingerprint: string): Promise<TicketRef | undefined> {
    const item = await this.http
      .request({ operation: 'workItems.get', method: 'GET', target: `${this.projectPath}/_apis/wit/workitems/${Number(id)}`, query: { 'api-version': WORK_ITEM_API }, schema: WorkItem })
      .then(({ body }) => body)
      .catch((error: unknown) => {
        if (error instanceof TicketError && error.statusCode === 404) return undefined;
        throw error;
      });
    if (!item) return undefined;
    const found = await this.refOf(item);
    return found?.fingerprint === fingerprint ? found : undefined;
  }

  async open(finding: Finding, digest: string): Promise<TicketRef> {
    assertFingerprint(finding.id);
    const { body } = await this.http.request({
      operation: 'workItems.create',
      method: 'POST',
      target: `${this.projectPath}/_apis/wit/workitems/$${encodeURIComponent(this.workItemType)}`,
      query: { 'api-version': WORK_ITEM_API },
      contentType: 'application/json-patch+json',
      body: [
        { op: 'add', path: '/fields/System.Title', value: ticketTitle(finding) },
        { op: 'add', path: '/fields/System.Description', value: htmlBody(finding, devOpsDigestLine(digest)) },
        { op: 'add', path: '/fields/System.Tags', value: `${DEVOPS_TAG}; ${DEVOPS_TAG}:${finding.id}` },
      ],
      schema: WorkItem,
    });
    return this.remember(await this.required(body));
  }

  async update(ref: TicketRef, finding: Finding, digest: string): Promise<TicketRef> {
    return this.remember(
      await this.patch(ref, 'workItems.update', [
        { op: 'add', path: '/fields/System.Title', value: ticketTitle(finding) },
        { op: 'add', path: '/fields/System.Description', value: htmlBody(finding, devOpsDigestLine(digest)) },
      ]),
    );
  }

  async comment(ref: TicketRef, text: string): Promise<void> {
    await this.http.request({
      operation: 'comments.add',
      method: 'POST',
      target: `${this.projectPath}/_apis/wit/workItems/${Number(ref.id)}/comments`,
      query: { 'api-version': COMMENTS_API },
      body: { text: htmlNote(text) },
      schema: Comment,
    });
  }

  /** State and reason in one revision: System.History is the discussion comment Azure DevOps shows with the change. */
  async close(ref: TicketRef, reason: string): Promise<TicketRef> {
    const state = await this.stateIn(['Completed']);
    return this.remember(await this.patch(ref, 'workItems.close', this.stateChange(state, reason)));
  }

  async reopen(ref: TicketRef, reason: string): Promise<TicketRef> {
    const state = await this.stateIn(['Proposed', 'InProgress']);
    return this.remember(await this.patch(ref, 'workItems.reopen', this.stateChange(state, reason)));
  }

  private stateChange(state: string, reason: string) {
    return [
      { op: 'add', path: '/fields/System.State', value: state },
      { op: 'add', path: '/fields/System.History', value: htmlNote(reason) },
    ];
  }

  private async patch(ref: TicketRef, operation: string, operations: unknown[]): Promise<TicketRef> {
    const { body } = await this.http.request({
      operation,
      method: 'PATCH',
      target: `${this.projectPath}/_apis/wit/workitems/${Number(ref.id)}`,
      query: { 'api-version': WORK_ITEM_API },
      contentType: 'application/json-patch+json',
      body: operations,
      schema: WorkItem,
    });
    return this.required(body);
  }

  /** The first state of this work item type in the first category that has one. */
  private async stateIn(categories: string[], type = this.workItemType): Promise<string> {
    const states = await this.statesOf(type);
    for (const category of categories) {
      const state = states.find((candidate) => candidate.category === category);
      if (state) return state.name;
    }
    throw new TicketError(
      { service: 'azure-devops', operation: 'workItemTypeStates.list', statusCode: undefined, code: 'NoSuchState', requestId: undefined },
      `work item type ${type} has no state in ${categories.join(' or ')}`,
    );
  }

  private statesOf(type: string): Promise<{ name: string; category: string }[]> {
    const key = type.toLowerCase();
    let states = this.states.get(key);
    if (!states) {
      states = this.http
        .request({ operation: 'workItemTypeStates.list', method: 'GET', target: `${this.projectPath}/_apis/wit/workitemtypes/${encodeURIComponent(type)}/states`, query: { 'api-version': WORK_ITEM_API }, schema: States })
        .then(({ body }) => body.value);
      states.catch(() => this.states.delete(key));
      this.states.set(key, states);
    }
    return states;
  }

  /** Open unless its state is in the Completed or Removed category of its type. */
  private async refOf(item: WorkItem): Promise<TicketRef | undefined> {
    const fingerprint = tagsOf(item.fields['System.Tags'])
      .map((tag) => /^idwarden:([a-z-]+:[0-9a-f]{20})$/i.exec(tag)?.[1]?.toLowerCase())
      .find((candidate) => candidate !== undefined);
    if (!fingerprint) return undefined;
    const type = String(item.fields['System.WorkItemType'] ?? this.workItemType);
    const category = (await this.statesOf(type)).find((state) => state.name === item.fields['System.State'])?.category;
    return {
      service: 'azure-devops',
      id: String(item.id),
      url: `${this.http.baseUrl}${this.projectPath}/_workitems/edit/${item.id}`,
      state: category === 'Completed' || category === 'Removed' ? 'closed' : 'open',
      fingerprint,
      digest: DIGEST.exec(String(item.fields['System.Description'] ?? ''))?.[1],
    };
  }

  private async required(item: WorkItem): Promise<TicketRef> {
    const ref = await this.refOf(item);
    if (ref) return ref;
    throw new TicketError(
      { service: 'azure-devops', operation: 'workItems.read', statusCode: undefined, code: 'InvalidResponse', requestId: undefined },
      `work item ${item.id} came back without its idwarden tag`,
    );
  }

  /**
   * Reads the project's work items tagged `idwarden`: one WIQL query for their ids (all of them, or those changed at
   * or after `since`, to the second with timePrecision), then the items in batches of 200. Resolves to the query's
   * `asOf`, Azure DevOps' time when it ran.
   */
  private async read(since: Date | undefined, seen: SeenTicket): Promise<Date | undefined> {
    const changed = since ? ` AND [System.ChangedDate] >= '${since.toISOString()}'` : '';
    const { body } = await this.http.request({
      operation: 'wiql.query',
      method: 'POST',
      target: `${this.projectPath}/_apis/wit/wiql`,
      query: { 'api-version': WORK_ITEM_API, ...(since ? { timePrecision: 'true' } : {}) },
      body: { query: `SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project AND [System.Tags] CONTAINS '${DEVOPS_TAG}'${changed} ORDER BY [System.Id]` },
      schema: WiqlResult,
    });
    const ids = body.workItems.map((item) => item.id);
    for (let start = 0; start < ids.length; start += BATCH) {
      const { body: batch } = await this.http.request({
        operation: 'workItems.list',
        method: 'GET',
        target: `${this.projectPath}/_apis/wit/workitems`,
        query: {
          ids: ids.slice(start, start + BATCH).join(','),
          fields: 'System.Id,System.WorkItemType,System.State,System.Tags,System.Description',
          errorPolicy: 'omit',
          'api-version': WORK_ITEM_API,
        },
        schema: WorkItemList,
      });
      for (const item of batch.value) {
        if (item) seen(String(item.id), await this.refOf(item));
      }
    }
    return body.asOf === undefined ? undefined : new Date(body.asOf);
  }

  private remember(ref: TicketRef): TicketRef {
    return this.tickets.remember(ref);
  }
}

const tagsOf = (value: unknown) =>
  String(value ?? '')
    .split(';')
    .map((tag) => tag.trim())
    .filter(Boolean);
