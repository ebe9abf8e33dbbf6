import { randomBytes } from 'node:crypto';
import type { EmulatorCore } from '../core.ts';
import { header, json, type EmulatorRequest, type EmulatorResponse } from '../server/exchange.ts';
import { path, type Route } from '../server/route.ts';
import { recordOf, type RecordedRequest } from './recorded.ts';
import {
  GITHUB_DOCS,
  GitHubCreateCommentRequest,
  GitHubCreateIssueRequest,
  GitHubError,
  GitHubUpdateIssueRequest,
  parseGitHubBody,
} from './github-wire.ts';

/**
 * GitHub Issues, as GitHub Enterprise Server lays out its REST API: `{baseUrl}/github/api/v3/...`, with issue
 * pages under `{baseUrl}/github/{owner}/{repo}/issues/{n}`. The bot's GitHub API base URL is configuration
 * (IDWARDEN_GITHUB_API_URL), so it reaches this sink exactly as it reaches api.github.com.
 *
 * Supports: create, list (state, labels, since on updated_at, sort, direction, per_page, page; `Link` paging through
 * /repositories/{id}/issues like api.github.com), get, update (title, body, state, state_reason, labels),
 * create comment; Bearer or `token` authentication against the sink's token; 401/404/422 in GitHub's shape.
 * Does not support: pull requests, assignees, milestones, reactions, other list filters (501).
 */

export const GITHUB_API_PATH = '/github/api/v3';

export type IssueState = 'open' | 'closed';
export type StateReason = 'completed' | 'not_planned' | 'duplicate' | 'reopened';

export interface GitHubRepository {
  id: number;
  /** `owner/name` as registered. */
  fullName: string;
}

export interface GitHubComment {
  id: number;
  body: string;
  createdAt: string;
}

export interface GitHubIssue {
  id: number;
  number: number;
  repository: string;
  title: string;
  body: string | null;
  state: IssueState;
  stateReason: StateReason | null;
  labels: string[];
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  comments: GitHubComment[];
}

/** The issues the bot opened and every request the sink accepted; survives re-seeds like the mail sink. */
export class GitHubSink {
  /** The only token this sink accepts (a personal access token's shape); the emulator hands it out as GITHUB_TOKEN. */
  token = `ghp_${randomBytes(27).toString('base64url').replace(/[-_]/g, '0').slice(0, 36)}`;
  readonly user = { login: 'idwarden-bot', id: 90_000_001 };
  readonly issues: GitHubIssue[] = [];
  readonly requests: RecordedRequest[] = [];
  private readonly repositories = new Map<string, GitHubRepository>();
  private nextIssueId = 3_000_000_001;
  /** Issue numbers per repository: never reused, even after a deletion (as on GitHub). */
  private readonly lastNumbers = new Map<string, number>();
  private nextCommentId = 2_000_000_001;

  constructor(repositories: readonly string[] = ['contoso/cloud-governance']) {
    for (const name of repositories) this.addRepository(name);
  }

  addRepository(fullName: string): GitHubRepository {
    if (!/^[\w.-]+\/[\w.-]+$/.test(fullName)) throw new Error(`'${fullName}' is not owner/name`);
    const existing = this.repositories.get(fullName.toLowerCase());
    if (existing) return existing;
    const repository = { id: 700_000_000 + this.repositories.size + 1, fullName };
    this.repositories.set(fullName.toLowerCase(), repository);
    return repository;
  }

  repositoryNames(): string[] {
    return [...this.repositories.values()].map((repository) => repository.fullName);
  }

  repository(owner: string, name: string): GitHubRepository | undefined {
    return this.repositories.get(`${owner}/${name}`.toLowerCase());
  }

  repositoryById(id: number): GitHubRepository | undefined {
    return [...this.repositories.values()].find((repository) => repository.id === id);
  }

  issuesOf(repository: GitHubRepository): GitHubIssue[] {
    return this.issues.filter((issue) => issue.repository === repository.fullName);
  }

  createIssue(repository: GitHubRepository, fields: { title: string; body: string | null; labels: string[] }, at: string): GitHubIssue {
    const issue: GitHubIssue = {
      id: this.nextIssueId++,
      number: this.takeNumber(repository),
      repository: repository.fullName,
      ...fields,
      state: 'open',
      stateReason: null,
      createdAt: at,
      updatedAt: at,
      closedAt: null,
      comments: [],
    };
    this.issues.push(issue);
    return issue;
  }

  private takeNumber(repository: GitHubRepository): number {
    // Every issue is numbered here, so the last number handed out is the highest; a deleted issue's is never reused.
    const number = (this.lastNumbers.get(repository.fullName) ?? 0) + 1;
    this.lastNumbers.set(repository.fullName, number);
    return number;
  }

  addComment(issue: GitHubIssue, body: string, at: string): GitHubComment {
    const comment = { id: this.nextCommentId++, body, createdAt: at };
    issue.comments.push(comment);
    issue.updatedAt = at;
    return comment;
  }

  /** Forgets issues and requests; repositories and the token stay. */
  reset(): void {
    this.issues.length = 0;
    this.requests.length = 0;
    this.lastNumbers.clear();
  }
}

/** GitHub writes seconds, not milliseconds. */
const timestamp = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

interface Bases {
  api: string;
  html: string;
}

const basesOf = (req: EmulatorRequest): Bases => ({ api: `${req.baseUrl}${GITHUB_API_PATH}`, html: `${req.baseUrl}/github` });

function renderUser(sink: GitHubSink, bases: Bases) {
  const { login, id } = sink.user;
  return {
    login,
    id,
    node_id: `U_${Buffer.from(String(id)).toString('base64url')}`,
    avatar_url: `${bases.html}/avatars/${login}`,
    url: `${bases.api}/users/${login}`,
    html_url: `${bases.html}/${login}`,
    type: 'User',
    site_admin: false,
  };
}

function renderLabel(repository: GitHubRepository, name: string, bases: Bases) {
  const id = [...`${repository.id}/${name}`].reduce((hash, char) => (hash * 31 + char.charCodeAt(0)) % 2_000_000_000, 7);
  return {
    id,
    node_id: `LA_${Buffer.from(String(id)).toString('base64url')}`,
    url: `${bases.api}/repos/${repository.fullName}/labels/${encodeURIComponent(name)}`,
    name,
    color: 'ededed',
    default: false,
    description: null,
  };
}

function renderIssue(sink: GitHubSink, repository: GitHubRepository, issue: GitHubIssue, bases: Bases) {
  const apiRepository = `${bases.api}/repos/${repository.fullName}`;
  const self = `${apiRepository}/issues/${issue.number}`;
  const user = renderUser(sink, bases);
  return {
    url: self,
    repository_url: apiRepository,
    labels_url: `${self}/labels{/name}`,
    comments_url: `${self}/comments`,
    events_url: `${self}/events`,
    html_url: `${bases.html}/${repository.fullName}/issues/${issue.number}`,
    id: issue.id,
    node_id: `I_${Buffer.from(String(issue.id)).toString('base64url')}`,
    number: issue.number,
    title: issue.title,
    user,
    labels: issue.labels.map((name) => renderLabel(repository, name, bases)),
    state: issue.state,
    locked: false,
    assignee: null,
    assignees: [],
    milestone: null,
    comments: issue.comments.length,
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
    closed_at: issue.closedAt,
    author_association: 'NONE',
    active_lock_reason: null,
    body: issue.body,
    closed_by: issue.state === 'closed' ? user : null,
    state_reason: issue.stateReason,
    timeline_url: `${self}/timeline`,
    performed_via_github_app: null,
  };
}

function renderComment(sink: GitHubSink, repository: GitHubRepository, issue: GitHubIssue, comment: GitHubComment, bases: Bases) {
  return {
    id: comment.id,
    node_id: `IC_${Buffer.from(String(comment.id)).toString('base64url')}`,
    url: `${bases.api}/repos/${repository.fullName}/issues/comments/${comment.id}`,
    html_url: `${bases.html}/${repository.fullName}/issues/${issue.number}#issuecomment-${comment.id}`,
    body: comment.body,
    user: renderUser(sink, bases),
    created_at: comment.createdAt,
    updated_at: comment.createdAt,
    issue_url: `${bases.api}/repos/${repository.fullName}/issues/${issue.number}`,
    author_association: 'NONE',
    performed_via_github_app: null,
  };
}

/** `Authorization: Bearer <token>` or `token <token>`, as GitHub accepts both for personal access tokens. */
function authenticate(req: EmulatorRequest, sink: GitHubSink): void {
  const authorization = header(req, 'authorization');
  if (!authorization) throw new GitHubError(401, 'Requires authentication', GITHUB_DOCS.root);
  const match = /^(?:bearer|token)\s+(\S+)$/i.exec(authorization.trim());
  if (!match || match[1] !== sink.token) throw new GitHubError(401, 'Bad credentials', GITHUB_DOCS.root);
}

/** The primary rate limit's headers (5,000 an hour, windows on the emulator clock), informational: the sink never runs out. */
function rateLimitHeaders(core: EmulatorCore, at: Date): Record<string, string> {
  const windowStart = Math.floor(at.getTime() / 3_600_000) * 3_600_000;
  const used = core.requests.recent().filter((entry) => entry.route.startsWith('github.') && entry.at.getTime() >= windowStart).length + 1;
  return {
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': String(Math.max(0, 5000 - used)),
    'x-ratelimit-used': String(used),
    'x-ratelimit-reset': String((windowStart + 3_600_000) / 1000),
    'x-ratelimit-resource': 'core',
    'x-github-media-type': 'github.v3; format=json',
    'x-github-api-version-selected': '2022-11-28',
  };
}

type Handler = (req: EmulatorRequest, sink: GitHubSink, params: Record<string, string>) => EmulatorResponse;

/** A GitHub route: authentication, GitHub-shaped errors, rate-limit headers and recording of what it accepted. */
function githubRoute(name: string, method: Route['method'], template: string, handle: Handler): Route {
  return {
    name,
    method,
    service: 'github',
    pattern: path(`${GITHUB_API_PATH}${template}`),
    // GitHub tokens are not Entra tokens: this route authenticates against the sink's own token.
    anonymous: true,
    handle(req, ctx) {
      const sink = ctx.core.sinks.github;
      // GitHub's `Date`, on the emulator clock: clients take it as GitHub's time (e.g. for a later `since`).
      const headers = { ...rateLimitHeaders(ctx.core, req.receivedAt), date: req.receivedAt.toUTCString() };
      try {
        authenticate(req, sink);
        const response = handle(req, sink, ctx.params);
        sink.requests.push(recordOf(name, req));
        return { ...response, headers: { ...headers, ...response.headers } };
      } catch (error) {
        if (!(error instanceof GitHubError)) throw error;
        return json(error.status, error.body, { ...headers, ...error.headers });
      }
    },
  };
}

function repositoryFrom(sink: GitHubSink, params: Record<string, string>, documentationUrl: string): GitHubRepository {
  const repository = params['repositoryId'] ? sink.repositoryById(Number(params['repositoryId'])) : sink.repository(params['owner']!, params['repo']!);
  if (!repository) throw new GitHubError(404, 'Not Found', documentationUrl);
  return repository;
}

function issueFrom(sink: GitHubSink, repository: GitHubRepository, raw: string, documentationUrl: string): GitHubIssue {
  const issue = /^\d+$/.test(raw) ? sink.issuesOf(repository).find((candidate) => candidate.number === Number(raw)) : undefined;
  if (!issue) throw new GitHubError(404, 'Not Found', documentationUrl);
  return issue;
}

const labelNames = (labels: readonly (string | { name?: string | undefined })[]) =>
  [...new Set(labels.map((label) => (typeof label === 'string' ? label : (label.name ?? ''))).filter((name) => name.length > 0))];

const LIST_PARAMETERS = new Set(['state', 'labels', 'sort', 'direction', 'per_page', 'page', 'since']);

function listIssues(req: EmulatorRequest, sink: GitHubSink, params: Record<string, string>): EmulatorResponse {
  const repository = repositoryFrom(sink, params, GITHUB_DOCS.listIssues);
  const unsupported = [...req.query.keys()].find((key) => !LIST_PARAMETERS.has(key));
  if (unsupported) throw new GitHubError(501, `The idwarden emulator does not implement the '${unsupported}' filter of list repository issues.`, GITHUB_DOCS.listIssues);
  const state = req.query.get('state') ?? 'open';
  const sort = req.query.get('sort') ?? 'created';
  const direction = req.query.get('direction') ?? 'desc';
  const perPage = Number(req.query.get('per_page') ?? 30);
  const page = Number(req.query.get('page') ?? 1);
  const invalid = (field: string) => new GitHubError(422, 'Validation Failed', GITHUB_DOCS.listIssues, [{ resource: 'Issue', field, code: 'invalid' }]);
  if (!['open', 'closed', 'all'].includes(state)) throw invalid('state');
  if (!['created', 'updated', 'comments'].includes(sort)) throw invalid('sort');
  if (!['asc', 'desc'].includes(direction)) throw invalid('direction');
  if (!Number.isInteger(perPage) || perPage < 1) throw invalid('per_page');
  if (!Number.isInteger(page) || page < 1) throw invalid('page');
  // `since`: issues last updated at or after this ISO 8601 instant (updated_at moves with every edit, comment, close).
  const since = req.query.has('since') ? Date.parse(req.query.get('since')!) : undefined;
  if (since !== undefined && !Number.isFinite(since)) throw invalid('since');
  const size = Math.min(perPage, 100);
  const wanted = (req.query.get('labels') ?? '').split(',').map((label) => label.trim().toLowerCase()).filter(Boolean);
  const sortKey = (issue: GitHubIssue) => (sort === 'comments' ? String(issue.comments.length).padStart(10, '0') : sort === 'updated' ? issue.updatedAt : issue.createdAt);
  const matching = sink
    .issuesOf(repository)
    .filter((issue) => state === 'all' || issue.state === state)
    .filter((issue) => since === undefined || Date.parse(issue.updatedAt) >= since)
    .filter((issue) => wanted.every((label) => issue.labels.some((own) => own.toLowerCase() === label)))
    .sort((a, b) => (sortKey(a).localeCompare(sortKey(b)) || a.number - b.number) * (direction === 'asc' ? 1 : -1));
  const bases = basesOf(req);
  const lastPage = Math.max(1, Math.ceil(matching.length / size));
  const pageUrl = (n: number) => {
    const query = new URLSearchParams(req.query);
    query.set('page', String(n));
    return `${bases.api}/repositories/${repository.id}/issues?${query.toString()}`;
  };
  const links = [
    ...(page < lastPage ? [`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(lastPage)}>; rel="last"`] : []),
    ...(page > 1 ? [`<${pageUrl(1)}>; rel="first"`, `<${pageUrl(Math.min(page - 1, lastPage))}>; rel="prev"`] : []),
  ];
  const items = matching.slice((page - 1) * size, page * size).map((issue) => renderIssue(sink, repository, issue, bases));
  return json(200, items, links.length > 0 ? { link: links.join(', ') } : {});
}

export const githubRoutes: Route[] = [
  githubRoute('github.issues.create', 'POST', '/repos/{owner}/{repo}/issues', (req, sink, params) => {
    const repository = repositoryFrom(sink, params, GITHUB_DOCS.createIssue);
    const body = parseGitHubBody(GitHubCreateIssueRequest, req.body, 'Issue', GITHUB_DOCS.createIssue, ['title']);
    const issue = sink.createIssue(
      repository,
      { title: String(body.title), body: body.body ?? null, labels: labelNames(body.labels ?? []) },
      timestamp(req.receivedAt),
    );
    const rendered = renderIssue(sink, repository, issue, basesOf(req));
    return json(201, rendered, { location: rendered.url });
  }),
  githubRoute('github.issues.list', 'GET', '/repos/{owner}/{repo}/issues', listIssues),
  // Where api.github.com's `Link` headers point.
  githubRoute('github.issues.list', 'GET', '/repositories/{repositoryId}/issues', listIssues),
  githubRoute('github.issues.get', 'GET', '/repos/{owner}/{repo}/issues/{number}', (req, sink, params) => {
    const repository = repositoryFrom(sink, params, GITHUB_DOCS.getIssue);
    return json(200, renderIssue(sink, repository, issueFrom(sink, repository, params['number']!, GITHUB_DOCS.getIssue), basesOf(req)));
  }),
  githubRoute('github.issues.update', 'PATCH', '/repos/{owner}/{repo}/issues/{number}', (req, sink, params) => {
    const repository = repositoryFrom(sink, params, GITHUB_DOCS.updateIssue);
    const issue = issueFrom(sink, repository, params['number']!, GITHUB_DOCS.updateIssue);
    const body = parseGitHubBody(GitHubUpdateIssueRequest, req.body, 'Issue', GITHUB_DOCS.updateIssue, ['title']);
    const at = timestamp(req.receivedAt);
    if (body.title !== undefined && body.title !== null) issue.title = String(body.title);
    if (body.body !== undefined) issue.body = body.body;
    if (body.labels !== undefined) issue.labels = labelNames(body.labels);
    if (body.state !== undefined && body.state !== issue.state) {
      issue.state = body.state;
      issue.closedAt = body.state === 'closed' ? at : null;
      issue.stateReason = body.state === 'closed' ? (body.state_reason ?? 'completed') : 'reopened';
    } else if (body.state_reason !== undefined && issue.state === 'closed' && body.state_reason !== 'reopened') {
      issue.stateReason = body.state_reason;
    }
    issue.updatedAt = at;
    return json(200, renderIssue(sink, repository, issue, basesOf(req)));
  }),
  githubRoute('github.issues.createComment', 'POST', '/repos/{owner}/{repo}/issues/{number}/comments', (req, sink, params) => {
    const repository = repositoryFrom(sink, params, GITHUB_DOCS.createComment);
    const issue = issueFrom(sink, repository, params['number']!, GITHUB_DOCS.createComment);
    const body = parseGitHubBody(GitHubCreateCommentRequest, req.body, 'IssueComment', GITHUB_DOCS.createComment, ['body']);
    const comment = sink.addComment(issue, body.body, timestamp(req.receivedAt));
    const rendered = renderComment(sink, repository, issue, comment, basesOf(req));
    return json(201, rendered, { location: rendered.url });
  }),
];
