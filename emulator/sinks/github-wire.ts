import { z } from 'zod';
import type { EmulatorResponse } from '../server/exchange.ts';

/**
 * GitHub REST API wire facts the Issues sink speaks (api version 2022-11-28), in one place.
 * Sources: github/rest-api-description (issues/create, issues/update, issues/create-comment request bodies),
 * github/docs content/rest/using-the-rest-api/{rate-limits-for-the-rest-api,troubleshooting-the-rest-api}.md
 * (error bodies, rate-limit headers), the REST "Link" pagination guide.
 */

export const GITHUB_DOCS = {
  root: 'https://docs.github.com/rest',
  createIssue: 'https://docs.github.com/rest/issues/issues#create-an-issue',
  listIssues: 'https://docs.github.com/rest/issues/issues#list-repository-issues',
  getIssue: 'https://docs.github.com/rest/issues/issues#get-an-issue',
  updateIssue: 'https://docs.github.com/rest/issues/issues#update-an-issue',
  createComment: 'https://docs.github.com/rest/issues/comments#create-an-issue-comment',
  secondaryRateLimit: 'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits',
} as const;

/** GitHub's longest issue or comment body. */
export const GITHUB_MAX_BODY = 65_536;

const LabelInput = z.union([
  z.string(),
  z.strictObject({ id: z.int().optional(), name: z.string().optional(), description: z.string().nullish(), color: z.string().nullish() }),
]);

/** POST /repos/{owner}/{repo}/issues: the documented request body, nothing else. */
export const GitHubCreateIssueRequest = z.strictObject({
  title: z.union([z.string(), z.int()]),
  body: z.string().optional(),
  assignee: z.string().nullish(),
  milestone: z.union([z.string(), z.int()]).nullish(),
  labels: z.array(LabelInput).optional(),
  assignees: z.array(z.string()).optional(),
  type: z.string().nullish(),
});

/** PATCH /repos/{owner}/{repo}/issues/{issue_number}. */
export const GitHubUpdateIssueRequest = z.strictObject({
  title: z.union([z.string(), z.int()]).nullish(),
  body: z.string().nullish(),
  assignee: z.string().nullish(),
  state: z.enum(['open', 'closed']).optional(),
  state_reason: z.enum(['completed', 'not_planned', 'duplicate', 'reopened']).nullish(),
  milestone: z.union([z.string(), z.int()]).nullish(),
  labels: z.array(LabelInput).optional(),
  assignees: z.array(z.string()).optional(),
  type: z.string().nullish(),
});

/** POST /repos/{owner}/{repo}/issues/{issue_number}/comments. */
export const GitHubCreateCommentRequest = z.strictObject({ body: z.string() });

export type GitHubErrorBody = {
  message: string;
  documentation_url: string;
  status: string;
  errors?: { resource: string; field: string; code: string; message?: string }[];
};

/** An answer in GitHub's error shape, thrown by the sink's routes. */
export class GitHubError extends Error {
  override readonly name = 'GitHubError';
  readonly body: GitHubErrorBody;
  constructor(
    readonly status: number,
    message: string,
    documentationUrl: string,
    errors?: GitHubErrorBody['errors'],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.body = { message, documentation_url: documentationUrl, status: String(status), ...(errors ? { errors } : {}) };
  }
}

/**
 * GitHub's answers to a body its JSON schema refuses: 400 when it is not an object, 422 "Invalid request" naming an
 * unknown or missing key or a bad value, 422 "Validation Failed" (with `errors`) when a required text is blank.
 */
export function parseGitHubBody<T>(schema: z.ZodType<T>, raw: unknown, resource: string, documentationUrl: string, blankRequired: readonly string[] = []): T {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new GitHubError(400, 'Body should be a JSON object', documentationUrl);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? '');
    if (issue.code === 'unrecognized_keys') throw new GitHubError(422, `Invalid request.\n\n"${issue.keys[0]}" is not a permitted key.`, documentationUrl);
    if (!(key in raw)) throw new GitHubError(422, `Invalid request.\n\n"${key}" wasn't supplied.`, documentationUrl);
    const value = (raw as Record<string, unknown>)[key];
    throw new GitHubError(422, `Invalid request.\n\nFor 'properties/${key}', ${JSON.stringify(value)} is not a valid value.`, documentationUrl);
  }
  const data = parsed.data as Record<string, unknown>;
  for (const field of blankRequired) {
    if (field in data && String(data[field] ?? '').trim() === '') {
      throw new GitHubError(422, 'Validation Failed', documentationUrl, [{ resource, field, code: 'missing_field' }]);
    }
  }
  if (typeof data['body'] === 'string' && data['body'].length > GITHUB_MAX_BODY) {
    throw new GitHubError(422, 'Validation Failed', documentationUrl, [
      { resource, field: 'body', code: 'custom', message: `body is too long (maximum is ${GITHUB_MAX_BODY} characters)` },
    ]);
  }
  return parsed.data;
}

/**
 * A secondary rate limit as GitHub answers it (403 or 429, `retry-after`, the primary `x-ratelimit-*` headers),
 * for a fault rule: `core.faults.add({ route: 'github.issues.create', times: 1, response: githubSecondaryRateLimit() })`.
 */
export function githubSecondaryRateLimit(options: { status?: 403 | 429; retryAfterSeconds?: number; resetEpochSeconds?: number } = {}): EmulatorResponse {
  const status = options.status ?? 403;
  return {
    status,
    headers: {
      'retry-after': String(options.retryAfterSeconds ?? 60),
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4990',
      'x-ratelimit-used': '10',
      'x-ratelimit-reset': String(options.resetEpochSeconds ?? 1_798_761_600),
      'x-ratelimit-resource': 'core',
      'content-type': 'application/json; charset=utf-8',
    },
    body: {
      message:
        'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID in your message.',
      documentation_url: GITHUB_DOCS.secondaryRateLimit,
      status: String(status),
    },
  };
}
