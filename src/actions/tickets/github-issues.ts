import { z } from 'zod';
import type { Finding } from '../../model/finding.ts';
import { readGitHubToken } from './config.ts';
import { TicketError } from './errors.ts';
import { TicketHttp, retryAfterMs, type ServiceDialect, type TicketHttpOptions } from './http.ts';
import { markdownBody, markdownNote, ticketTitle } from './render.ts';
import { assertFingerprint, type TicketRef, type TicketTracker } from './tracker.ts';
import { TicketIndex, sharedTicketCache, type SeenTicket, type TicketCache } from './ticket-index.ts';

/**
 * Tickets as GitHub issues, through the REST API (version 2022-11-28) with plain fetch.
 *
 * One issue per finding: the issue carries the label `idwarden` and, at the end of its body, the hidden marker
 * `<!-- idwarden:fingerprint=<finding id> digest=<digest> -->`. Lookups use an index of the repository's `idwarden`
 * issues (state=all, 100 a page, following `Link: rel="next"`), read once per run: in full the first time (and hourly),
 * then incrementally with `since=` (issues updated since the previous read began, by GitHub's `Date`), so a sweep of
 * hundreds of findings costs one list call, and a lost local state loses nothing (tickets are found by fingerprint).
 *
 * Authentication: a token (fine-grained personal access token or GitHub App installation token with Issues: read and
 * write on the repository) read at run time from the app setting the policy names; see `readGitHubToken` for the Key
 * Vault reference. The base URL is IDWARDEN_GITHUB_API_URL (default https://api.github.com; `https://<host>/api/v3` for
 * GitHub Enterprise Server); no request goes anywhere else.
 */

export const GITHUB_LABEL = 'idwarden';
const PER_PAGE = 100;

const MARKER = /<!-- idwarden:fingerprint=([a-z-]+:[0-9a-f]{20}) digest=([0-9a-f]{16,64}) -->/;

export const githubMarker = (fingerprint: string, digest: string) => `<!-- idwarden:fingerprint=${fingerprint} digest=${digest} -->`;

const Issue = z.object({
  number: z.int().positive(),
  html_url: z.string(),
  state: z.enum(['open', 'closed']),
  title: z.string(),
  body: z.string().nullish(),
  labels: z.array(z.union([z.string(), z.object({ name: z.string() })])),
  pull_request: z.unknown().optional(),
});
type Issue = z.infer<typeof Issue>;

const Comment = z.object({ id: z.int(), html_url: z.string() });

const GitHubErrorBody = z.object({ message: z.string(), errors: z.array(z.object({ field: z.string().optional(), code: z.string().optional(), message: z.string().optional() })).optional() });

/** GitHub says what went wrong in `message`; these are the ones the bot's callers branch on. */
const CODES: [RegExp, string][] = [
  [/secondary rate limit/i, 'SecondaryRateLimit'],
  [/rate limit exceeded/i, 'RateLimitExceeded'],
  [/^bad credentials/i, 'BadCredentials'],
  [/^requires authentication/i, 'RequiresAuthentication'],
  [/^not found/i, 'NotFound'],
  [/^validation failed/i, 'ValidationFailed'],
  [/^invalid request/i, 'InvalidRequest'],
  [/resource not accessible/i, 'ResourceNotAccessible'],
];

export const githubDialect: ServiceDialect = {
  service: 'github',
  requestId: (headers) => headers.get('x-github-request-id') ?? undefined,
  describe(status, body) {
    const parsed = GitHubErrorBody.safeParse(body);
    if (!parsed.success) return { code: `Http${status}`, message: `HTTP ${status} without GitHub's error body` };
    const details = (parsed.data.errors ?? []).map((error) => [error.field, error.code, error.message].filter(Boolean).join(' ')).join('; ');
    return {
      code: CODES.find(([pattern]) => pattern.test(parsed.data.message))?.[1] ?? `Http${status}`,
      message: details ? `${parsed.data.message} (${details})` : parsed.data.message,
    };
  },
  /**
   * GitHub's documented rules: a 403 or 429 with `retry-after` waits that many seconds; with `x-ratelimit-remaining: 0`
   * it waits until `x-ratelimit-reset`; a secondary rate limit without either waits at least a minute.
   */
  throttleDelayMs(status, headers, body, nowMs) {
    if (status !== 403 && status !== 429) return undefined;
    const retryAfter = retryAfterMs(headers, nowMs);
    if (retryAfter !== undefined) return retryAfter;
    if (headers.get('x-ratelimit-remaining') === '0') {
      const reset = Number(headers.get('x-ratelimit-reset'));
      if (Number.isFinite(reset)) return Math.max(0, reset * 1000 - nowMs);
    }
    const message = GitHubErrorBody.safeParse(body).data?.message ?? '';
    return status === 429 || /rate limit/i.test(message) ? 60_000 : undefined;
  },
};

export interface GitHubIssuesOptions {
  /** IDWARDEN_GITHUB_API_URL. */
  apiUrl: string;
  /** `owner/name` (policy: tickets.github.repo). */
  repository: string;
  token: string;
  /** Test seams and limits of the HTTP client (sleep, fetch, retry). */
  http?: Pick<TicketHttpOptions, 'sleep' | 'fetch' | 'retry' | 'now'>;
  /** Kept between runs (see sharedTicketCache); a fresh one by default. */
  cache?: TicketCache;
}

/** The tracker the policy asks for: token from the app setting `tickets.github.tokenSetting` (default GITHUB_TOKEN). */
export function githubTrackerFromSettings(
  env: Readonly<Record<string, string | undefined>>,
  settings: { repo: string; tokenSetting?: string | undefined },
  apiUrl: string,
): GitHubIssuesTracker {
  return new GitHubIssuesTracker({
    apiUrl,
    repository: settings.repo,
    token: readGitHubToken(env, settings.tokenSetting ?? 'GITHUB_TOKEN'),
    cache: sharedTicketCache(`github ${apiUrl} ${settings.repo}`),
  });
}

export class GitHubIssuesTracker implements TicketTracker {
  readonly service = 'github' as const;
  private readonly http: TicketHttp;
  private readonly repositoryPath: string;
  private readonly tickets: TicketIndex;

  constructor(options: GitHubIssuesOptions) {
    const [owner, name] = options.repository.split('/');
    if (!owner || !name || !/^[\w.-]+\/[\w.-]+$/.test(options.repository)) throw new TypeError(`'${options.repository}' is not owner/name`);
    this.repositoryPath = `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;
    const token = options.token;
    this.http = new TicketHttp({
      baseUrl: options.apiUrl,
      dialect: githubDialect,
      authorization: async () => `Bearer ${token}`,
      headers: { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28', 'user-agent': 'idwarden' },
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
    const { body } = await this.http
      .request({ operation: 'issues.get', method: 'GET', target: `${this.repositoryPath}/issues/${Number(id)}`, schema: Issue })
      .catch((error: unknown) => {
        // Deleted (404) or transferred (410): the ticket is gone from here.
        if (error instanceof TicketError && (error.statusCode === 404 || error.statusCode === 410)) return { body: undefined };
        throw error;
      });
    if (!body) return undefined;
    const marked = refOf(body);
    if (marked) return marked.fingerprint === fingerprint ? marked : undefined;
    // The marker was edited away: still the ticket we opened, now without a digest (the next update writes it back).
    return { service: 'github', id: String(body.number), url: body.html_url, state: body.state, fingerprint, digest: undefined };
  }

  async open(finding: Finding, digest: string): Promise<TicketRef> {
    assertFingerprint(finding.id);
    const { body } = await this.http.request({
      operation: 'issues.create',
      method: 'POST',
      target: `${this.repositoryPath}/issues`,
      body: { title: ticketTitle(finding), body: markdownBody(finding, githubMarker(finding.id, digest)), labels: [GITHUB_LABEL] },
      schema: Issue,
    });
    return this.remember({ service: 'github', id: String(body.number), url: body.html_url, state: body.state, fingerprint: finding.id, digest });
  }

  async update(ref: TicketRef, finding: Finding, digest: string): Promise<TicketRef> {
    const { body } = await this.patch(ref, 'issues.update', { title: ticketTitle(finding), body: markdownBody(finding, githubMarker(finding.id, digest)) });
    return this.remember({ ...ref, url: body.html_url, state: body.state, digest });
  }

  async comment(ref: TicketRef, text: string): Promise<void> {
    await this.http.request({
      operation: 'issues.createComment',
      method: 'POST',
      target: `${this.repositoryPath}/issues/${Number(ref.id)}/comments`,
      body: { body: markdownNote(text) },
      schema: Comment,
    });
  }

  async close(ref: TicketRef, reason: string): Promise<TicketRef> {
    await this.comment(ref, reason);
    const { body } = await this.patch(ref, 'issues.close', { state: 'closed', state_reason: 'completed' });
    return this.remember({ ...ref, state: body.state });
  }

  async reopen(ref: TicketRef, reason: string): Promise<TicketRef> {
    await this.comment(ref, reason);
    const { body } = await this.patch(ref, 'issues.reopen', { state: 'open', state_reason: 'reopened' });
    return this.remember({ ...ref, state: body.state });
  }

  private patch(ref: TicketRef, operation: string, body: Record<string, unknown>) {
    return this.http.request({ operation, method: 'PATCH', target: `${this.repositoryPath}/issues/${Number(ref.id)}`, body, schema: Issue });
  }

  /**
   * Reads the repository's `idwarden` issues, open or closed: all of them, or those updated at or after `since`.
   * Resolves to GitHub's time when the read began (the first page's `Date` header).
   */
  private async read(since: Date | undefined, seen: SeenTicket): Promise<Date | undefined> {
    let target: string | undefined = `${this.repositoryPath}/issues`;
    let query: Record<string, string> | undefined = { labels: GITHUB_LABEL, state: 'all', per_page: String(PER_PAGE), ...(since ? { since: githubTimestamp(since) } : {}) };
    let began: Date | undefined;
    while (target) {
      const page: { body: Issue[]; headers: Headers } = await this.http.request({ operation: 'issues.list', method: 'GET', target, ...(query ? { query } : {}), schema: z.array(Issue) });
      began ??= new Date(page.headers.get('date') ?? Number.NaN);
      for (const issue of page.body) {
        if (issue.pull_request === undefined) seen(String(issue.number), refOf(issue));
      }
      // The next page's URL is GitHub's, verbatim (it carries the query); the HTTP client refuses it if it leaves the base URL.
      target = nextLink(page.headers.get('link'));
      query = undefined;
    }
    return began;
  }

  private remember(ref: TicketRef): TicketRef {
    return this.tickets.remember(ref);
  }
}

/** GitHub's documented timestamp shape, YYYY-MM-DDTHH:MM:SSZ. */
const githubTimestamp = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

function refOf(issue: Issue): TicketRef | undefined {
  const marker = MARKER.exec(issue.body ?? '');
  if (!marker) return undefined;
  return { service: 'github', id: String(issue.number), url: issue.html_url, state: issue.state, fingerprint: marker[1]!, digest: marker[2]! };
}

/** The `rel="next"` target of a `Link` header (RFC 8288), as GitHub pages lists. */
export function nextLink(header: string | null): string | undefined {
  // Targets may hold commas (labels=a,b), so links are matched whole rather than split on commas.
  for (const match of (header ?? '').matchAll(/<([^>]*)>((?:\s*;\s*[^;,<]+)*)/g)) {
    if (/;\s*rel="?([^";]*\s)?next[\s"]*(;|$)/i.test(match[2]!)) return match[1];
  }
  return undefined;
}
