import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, useEmulator } from '../support/emulator.ts';
import { smallTenant } from '../support/seeds.ts';
import { recordingSleep, ticketFinding } from '../support/tickets.ts';
import { GitHubCreateCommentRequest, GitHubCreateIssueRequest, GitHubUpdateIssueRequest, githubSecondaryRateLimit } from '../../emulator/sinks/github-wire.ts';
import { GITHUB_API_PATH } from '../../emulator/sinks/github.ts';
import { GitHubIssuesTracker, githubMarker, githubTrackerFromSettings, type GitHubIssuesOptions } from '../../src/actions/tickets/github-issues.ts';
import { findingDigest } from '../../src/actions/tickets/digest.ts';
import { loadTicketEndpoints, readGitHubToken } from '../../src/actions/tickets/config.ts';
import { syncTicket } from '../../src/actions/tickets/sync.ts';
import { TicketError } from '../../src/actions/tickets/errors.ts';
import { fingerprint } from '../../src/model/finding.ts';

const emulator = await useEmulator({ seed: smallTenant() });
const sink = emulator.core.sinks.github;
const apiUrl = loadTicketEndpoints(emulator.env).githubApiUrl;
const REPO = 'contoso/cloud-governance';

const tracker = (overrides: Partial<GitHubIssuesOptions> = {}) => new GitHubIssuesTracker({ apiUrl, repository: REPO, token: sink.token, ...overrides });
const writes = () => sink.requests.filter((request) => request.method !== 'GET');
const issueOf = (number: string) => sink.issues.find((issue) => issue.repository === REPO && String(issue.number) === number)!;

function reset(): void {
  sink.reset();
  emulator.core.faults.clear();
}

const ticketError = (statusCode: number | undefined, code: string) => (error: unknown) => {
  assert.ok(error instanceof TicketError, `expected a TicketError, got ${String(error)}`);
  assert.equal(error.service, 'github');
  assert.equal(error.code, code, error.message);
  assert.equal(error.statusCode, statusCode);
  assert.ok(!error.message.includes(sink.token), 'the token never appears in an error');
  return true;
};

test('the emulator hands out the GitHub sink as configuration: API URL and token', () => {
  assert.equal(emulator.env['IDWARDEN_GITHUB_API_URL'], `${emulator.baseUrl}${GITHUB_API_PATH}`);
  assert.equal(readGitHubToken(emulator.env, 'GITHUB_TOKEN'), sink.token);
  assert.match(sink.token, /^ghp_[A-Za-z0-9]{36}$/);
});

test('a finding is opened once as an issue with the documented body, label and hidden fingerprint marker', async () => {
  reset();
  const finding = ticketFinding();
  const first = await syncTicket(tracker(), finding, 'open');
  assert.equal(first.action, 'opened');
  assert.equal(first.ticket?.state, 'open');
  assert.equal(first.ticket?.url, `${emulator.baseUrl}/github/${REPO}/issues/1`);

  const [create] = writes();
  assert.equal(create?.route, 'github.issues.create');
  assert.equal(create.path, `${GITHUB_API_PATH}/repos/${REPO}/issues`);
  assert.deepEqual(create.headers, { accept: 'application/vnd.github+json', contentType: 'application/json', userAgent: 'idwarden', apiVersion: '2022-11-28' });
  const body = GitHubCreateIssueRequest.parse(create.body);
  assert.deepEqual(Object.keys(body).sort(), ['body', 'labels', 'title']);
  assert.equal(body.title, '[idwarden] High: uami-app holds Contributor at subscription scope');
  assert.deepEqual(body.labels, ['idwarden']);
  assert.ok(body.body?.endsWith(githubMarker(finding.id, findingDigest(finding))));
  assert.match(body.body!, /^- \*\*Rule:\*\* `privileged-role-broad-scope`$/m);
  assert.match(body.body!, /https:\/\/portal\.azure\.com\/#@72f988bf-0000-4000-8000-000000000001\/resource\/subscriptions\/11111111-1111-4111-8111-111111111111\/resourceGroups\/rg-app\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/uami-app/);
  assert.match(body.body!, /### Evidence\n\n```json\n\{\n {2}"scopeLevel": "subscription"/);

  const second = await syncTicket(tracker(), finding, 'open', first.ticket);
  assert.equal(second.action, 'unchanged');
  assert.equal(writes().length, 1, 'the second sync writes nothing');
  assert.deepEqual(issueOf('1').labels, ['idwarden']);
});

test('open, change, resolve, resolve again, recur: comment, close and reopen with GitHub-shaped requests', async () => {
  reset();
  const finding = ticketFinding();
  const opened = await syncTicket(tracker(), finding, 'open');
  const unchanged = await syncTicket(tracker(), { ...finding, detectedAt: '2026-11-21T12:00:00.000Z', source: 'event', evidence: { ...finding.evidence, ageDays: 3 } }, 'open', opened.ticket);
  assert.equal(unchanged.action, 'unchanged', 'seen again later, by another path, a day older: not a change');

  const worse = { ...finding, severity: 'critical' as const, detectedAt: '2026-11-22T12:00:00.000Z' };
  const changed = await syncTicket(tracker(), worse, 'open', opened.ticket);
  assert.equal(changed.action, 'commented');
  assert.equal(changed.ticket?.digest, findingDigest(worse));
  const [, comment, rewrite] = writes();
  assert.equal(comment?.route, 'github.issues.createComment');
  assert.match(GitHubCreateCommentRequest.parse(comment.body).body, /^The finding changed \(seen 2026-11-22T12:00:00\.000Z by a sweep\)/);
  assert.equal(rewrite?.route, 'github.issues.update');
  const update = GitHubUpdateIssueRequest.parse(rewrite.body);
  assert.deepEqual(Object.keys(update).sort(), ['body', 'title']);
  assert.equal(update.title, '[idwarden] Critical: uami-app holds Contributor at subscription scope');
  assert.ok(update.body?.endsWith(githubMarker(finding.id, findingDigest(worse))));

  const closed = await syncTicket(tracker(), worse, 'resolved', changed.ticket, { now: new Date('2026-11-23T00:00:00Z') });
  assert.equal(closed.action, 'closed');
  const [closeComment, closePatch] = writes().slice(3);
  assert.equal(GitHubCreateCommentRequest.parse(closeComment?.body).body, 'Resolved: idwarden no longer sees this finding (checked 2026-11-23T00:00:00.000Z). Closing.');
  assert.deepEqual(GitHubUpdateIssueRequest.parse(closePatch?.body), { state: 'closed', state_reason: 'completed' });
  assert.equal(issueOf('1').state, 'closed');
  assert.equal(issueOf('1').stateReason, 'completed');

  assert.equal((await syncTicket(tracker(), worse, 'resolved', closed.ticket)).action, 'unchanged');
  assert.equal(writes().length, 5);

  const back = await syncTicket(tracker(), worse, 'open', closed.ticket);
  assert.equal(back.action, 'reopened');
  const [reopenComment, reopenPatch] = writes().slice(5);
  assert.match(GitHubCreateCommentRequest.parse(reopenComment?.body).body, /^The finding is back/);
  assert.deepEqual(GitHubUpdateIssueRequest.parse(reopenPatch?.body), { state: 'open', state_reason: 'reopened' });
  assert.equal(writes().length, 7, 'unchanged since it closed: no rewrite');
  const issue = issueOf('1');
  assert.equal(issue.state, 'open');
  assert.equal(issue.comments.length, 3);
  assert.equal(sink.issues.length, 1, 'one ticket per fingerprint, through it all');
});

test('after the bot loses its state, the ticket is found by the marker it carries, across Link pages', async () => {
  reset();
  const repository = sink.repository('contoso', 'cloud-governance')!;
  // 150 other idwarden issues first, so the one that matters is on the second page of 100.
  for (let index = 0; index < 150; index += 1) {
    const id = fingerprint('stale-identity', `principal-${index}`);
    sink.createIssue(repository, { title: `other ${index}`, body: `x\n${githubMarker(id, 'a'.repeat(32))}`, labels: ['idwarden'] }, '2026-11-01T00:00:00Z');
  }
  const finding = ticketFinding();
  await syncTicket(tracker(), finding, 'open');
  sink.requests.length = 0;

  const fresh = tracker();
  const found = await fresh.find(finding.id);
  assert.equal(found?.id, '151');
  assert.equal(found?.digest, findingDigest(finding));
  const lists = sink.requests.filter((request) => request.route === 'github.issues.list');
  assert.deepEqual(
    lists.map((request) => request.path),
    [`${GITHUB_API_PATH}/repos/${REPO}/issues`, `${GITHUB_API_PATH}/repositories/${repository.id}/issues`],
  );
  assert.deepEqual(lists[0]!.query, { labels: 'idwarden', state: 'all', per_page: '100' });
  assert.deepEqual(lists[1]!.query, { labels: 'idwarden', state: 'all', per_page: '100', page: '2' });

  assert.equal((await syncTicket(fresh, finding, 'open')).action, 'unchanged');
  assert.equal(writes().length, 0);
  assert.equal(await fresh.find(fingerprint('stale-identity', 'nobody')), undefined);
  assert.equal(sink.requests.filter((request) => request.route === 'github.issues.list').length, 2, 'one index per tracker');
});

test('a known ticket is re-read, not trusted: closed by hand it is reopened, its marker edited away is written back, deleted it is opened anew', async () => {
  reset();
  const finding = ticketFinding();
  await syncTicket(tracker(), finding, 'open');
  sink.requests.length = 0;
  // What src/state keeps of a ticket: the service and the id.
  const known = { service: 'github' as const, id: '1' };
  Object.assign(issueOf('1'), { state: 'closed', stateReason: 'not_planned' });
  // An event's finding with a known ticket, and no index read yet: that ticket alone is re-read.
  assert.equal((await syncTicket(tracker(), { ...finding, source: 'event' }, 'open', known)).action, 'reopened');
  assert.deepEqual(
    sink.requests.filter((request) => request.method === 'GET').map((request) => request.route),
    ['github.issues.get'],
    're-read by id, no listing',
  );

  issueOf('1').body = 'someone rewrote the description';
  const healed = await syncTicket(tracker(), finding, 'open', known);
  assert.equal(healed.action, 'commented');
  assert.ok(issueOf('1').body?.endsWith(githubMarker(finding.id, findingDigest(finding))));
  assert.equal((await syncTicket(tracker(), finding, 'open', known)).action, 'unchanged');

  sink.issues.length = 0;
  assert.equal((await syncTicket(tracker(), finding, 'open', known)).action, 'opened');
  assert.equal(sink.issues.length, 1);
});

test("list issues: `since` keeps the issues updated at or after it, an invalid one is 422; the Date header is the emulator's clock", async () => {
  reset();
  const tracked = tracker();
  const first = await tracked.open(ticketFinding(), 'a'.repeat(32));
  emulator.core.clock.advance(60_000);
  const second = await tracked.open(ticketFinding({ principalId: '00000000-0000-4000-8000-000000000099' }), 'b'.repeat(32));
  const list = (query: string) => call(emulator, 'GET', `${GITHUB_API_PATH}/repos/${REPO}/issues?state=all&${query}`, { headers: { authorization: `Bearer ${sink.token}` } });
  const numbers = async (query: string) => (await list(query)).body.map((issue: { number: number }) => issue.number);
  const secondAt = issueOf(second.id).updatedAt;
  assert.deepEqual(await numbers(`since=${secondAt}`), [Number(second.id)], 'at the instant: included');
  assert.deepEqual(await numbers(`since=${new Date(Date.parse(secondAt) + 1000).toISOString()}`), []);
  assert.deepEqual(await numbers(`since=${issueOf(first.id).updatedAt}`), [Number(second.id), Number(first.id)]);
  // A comment moves updated_at, so `since` finds the issue again.
  emulator.core.clock.advance(60_000);
  await tracked.comment(first, 'x');
  assert.deepEqual(await numbers(`since=${issueOf(first.id).updatedAt}`), [Number(first.id)]);

  const invalid = await list('since=yesterday');
  assert.equal(invalid.status, 422);
  assert.equal(invalid.body.message, 'Validation Failed');
  assert.deepEqual(invalid.body.errors, [{ resource: 'Issue', field: 'since', code: 'invalid' }]);
  assert.ok(Math.abs(Date.parse(invalid.headers.get('date')!) - emulator.core.clock.now().getTime()) < 2000, 'Date: the emulator clock (two minutes ahead here), to the second');
});

test('a dry-run decision never writes a ticket', async () => {
  reset();
  const result = await syncTicket(tracker(), ticketFinding({ decision: { action: 'ticket', dryRun: true } }), 'open');
  assert.equal(result.action, 'skipped');
  assert.equal(sink.requests.length, 0);
});

test('a wrong or missing token is 401 in GitHub shape; an unknown repository is 404', async () => {
  reset();
  await assert.rejects(tracker({ token: 'ghp_000000000000000000000000000000000000' }).open(ticketFinding(), 'a'.repeat(32)), ticketError(401, 'BadCredentials'));
  const anonymous = await call(emulator, 'POST', `${GITHUB_API_PATH}/repos/${REPO}/issues`, { body: { title: 'x' } });
  assert.equal(anonymous.status, 401);
  assert.deepEqual(anonymous.body, { message: 'Requires authentication', documentation_url: 'https://docs.github.com/rest', status: '401' });
  assert.ok(anonymous.headers.get('x-github-request-id'));
  await assert.rejects(tracker({ repository: 'contoso/nope' }).open(ticketFinding(), 'a'.repeat(32)), ticketError(404, 'NotFound'));
  assert.equal(sink.issues.length, 0);
});

test('GitHub validation errors: a blank title, an unknown key, a body that is not an object', async () => {
  reset();
  const post = (body: unknown) => call(emulator, 'POST', `${GITHUB_API_PATH}/repos/${REPO}/issues`, { token: sink.token, body });
  const blank = await post({ title: ' ' });
  assert.equal(blank.status, 422);
  assert.deepEqual(blank.body, {
    message: 'Validation Failed',
    documentation_url: 'https://docs.github.com/rest/issues/issues#create-an-issue',
    status: '422',
    errors: [{ resource: 'Issue', field: 'title', code: 'missing_field' }],
  });
  const unknown = await post({ title: 'x', severity: 'high' });
  assert.equal(unknown.status, 422);
  assert.equal(unknown.body.message, 'Invalid request.\n\n"severity" is not a permitted key.');
  assert.equal((await post({})).body.message, 'Invalid request.\n\n"title" wasn\'t supplied.');
  assert.equal((await post(['x'])).body.message, 'Body should be a JSON object');
  const badState = await call(emulator, 'GET', `${GITHUB_API_PATH}/repos/${REPO}/issues?state=gone`, { token: sink.token });
  assert.equal(badState.status, 422);
  assert.equal(sink.issues.length, 0);
});

test('a secondary rate limit is waited out as Retry-After says, within bounds, then the call succeeds once', async () => {
  reset();
  const { waits, sleep } = recordingSleep();
  emulator.core.faults.add({ route: 'github.issues.create', times: 1, response: githubSecondaryRateLimit({ retryAfterSeconds: 2 }) });
  const opened = await tracker({ http: { sleep } }).open(ticketFinding(), 'a'.repeat(32));
  assert.equal(opened.id, '1');
  assert.deepEqual(waits, [2000]);
  assert.equal(sink.issues.length, 1, 'the throttled request was not processed; the retry was');

  emulator.core.faults.add({ route: 'github.issues.createComment', times: 10, response: githubSecondaryRateLimit({ status: 429, retryAfterSeconds: 1 }) });
  await assert.rejects(tracker({ http: { sleep } }).comment(opened, 'hello'), (error: unknown) => {
    ticketError(429, 'SecondaryRateLimit')(error);
    assert.equal((error as TicketError).throttled, true);
    assert.ok((error as TicketError).requestId);
    return true;
  });
  assert.deepEqual(waits, [2000, 1000, 1000, 1000], 'three retries, then it gives up');

  emulator.core.faults.clear();
  emulator.core.faults.add({ route: 'github.issues.update', times: 1, response: githubSecondaryRateLimit({ retryAfterSeconds: 3600 }) });
  await assert.rejects(tracker({ http: { sleep } }).close(opened, 'done'), (error: unknown) => {
    ticketError(403, 'SecondaryRateLimit')(error);
    assert.equal((error as TicketError).retryAfterMs, 3_600_000);
    return true;
  });
  assert.equal(waits.length, 4, 'an hour is longer than the bot waits: no sleep, a throttled error for the next run');
});

test('requests go only to the configured base URL: a Link to another host or path is refused, unsent', async () => {
  reset();
  const seen: string[] = [];
  const recordingFetch: typeof fetch = (input, init) => {
    seen.push(String(input));
    return fetch(input, init);
  };
  for (const elsewhere of ['https://evil.example/repositories/1/issues?page=2', `${emulator.baseUrl}/_emulator/sinks/github?page=2`]) {
    emulator.core.faults.clear();
    emulator.core.faults.add({ route: 'github.issues.list', times: 1, response: { status: 200, headers: { link: `<${elsewhere}>; rel="next"` }, body: [] } });
    seen.length = 0;
    await assert.rejects(tracker({ http: { fetch: recordingFetch } }).find(ticketFinding().id), ticketError(undefined, 'HostNotAllowed'));
    assert.deepEqual(seen, [`${apiUrl}/repos/${REPO}/issues?labels=idwarden&state=all&per_page=100`], 'only the first page was fetched');
  }
  assert.throws(() => tracker({ apiUrl: apiUrl.replace('https:', 'http:') }), ticketError(undefined, 'InvalidConfiguration'));
  assert.throws(() => loadTicketEndpoints({ IDWARDEN_GITHUB_API_URL: 'https://token@api.github.com' }), ticketError(undefined, 'InvalidConfiguration'));
  assert.deepEqual(loadTicketEndpoints({}), { githubApiUrl: 'https://api.github.com', azureDevOpsUrl: 'https://dev.azure.com' });
});

test('the token comes from the app setting the policy names; an unresolved Key Vault reference is refused by name', () => {
  const settings = { repo: REPO, tokenSetting: 'IDWARDEN_GITHUB_TOKEN' };
  assert.equal(githubTrackerFromSettings({ IDWARDEN_GITHUB_TOKEN: sink.token }, settings, apiUrl).service, 'github');
  assert.throws(() => githubTrackerFromSettings({ GITHUB_TOKEN: sink.token }, settings, apiUrl), ticketError(undefined, 'TokenSettingMissing'));
  const reference = '@Microsoft.KeyVault(SecretUri=https://kv-idwarden.vault.azure.net/secrets/github-token/)';
  assert.throws(() => readGitHubToken({ GITHUB_TOKEN: reference }, 'GITHUB_TOKEN'), (error: unknown) => {
    ticketError(undefined, 'KeyVaultReferenceUnresolved')(error);
    assert.match((error as Error).message, /Key Vault Secrets User/);
    return true;
  });
});
