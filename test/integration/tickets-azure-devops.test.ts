import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { call, tokenFor, useEmulator } from '../support/emulator.ts';
import { smallTenant } from '../support/seeds.ts';
import { BOT_PRINCIPAL, HUMAN_ADMIN } from '../support/ids.ts';
import { recordingSleep, ticketFinding } from '../support/tickets.ts';
import { AZURE_DEVOPS_RESOURCE_ID, CommentCreateRequest, JsonPatchDocument, WiqlRequest, devOpsThrottled } from '../../emulator/sinks/azure-devops-wire.ts';
import { DEVOPS_PATH } from '../../emulator/sinks/azure-devops.ts';
import { AzureDevOpsTracker, devOpsDigestLine, type AzureDevOpsOptions } from '../../src/actions/tickets/azure-devops.ts';
import { loadTicketEndpoints } from '../../src/actions/tickets/config.ts';
import { findingDigest } from '../../src/actions/tickets/digest.ts';
import { TicketError } from '../../src/actions/tickets/errors.ts';
import { syncTicket } from '../../src/actions/tickets/sync.ts';

const emulator = await useEmulator({ seed: smallTenant() });
const sink = emulator.core.sinks.devops;
sink.addProject('contoso', 'Platform', 'Agile');
const baseUrl = loadTicketEndpoints(emulator.env).azureDevOpsUrl;
// The bot's own managed identity, through the emulator's token endpoint, as on Azure Functions.
const credential = new ManagedIdentityCredential();

const tracker = (overrides: Partial<AzureDevOpsOptions> = {}) => new AzureDevOpsTracker({ baseUrl, organization: 'contoso', project: 'SecOps', credential, ...overrides });
const WRITES = new Set(['devops.workItems.create', 'devops.workItems.update', 'devops.comments.add']);
const writes = () => sink.requests.filter((request) => WRITES.has(request.route));
const item = (id: string) => sink.workItems.find((candidate) => String(candidate.id) === id)!;

function reset(): void {
  sink.reset();
  emulator.core.faults.clear();
}

const tokenCredential = (token: string): TokenCredential => ({ getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) });

const ticketError = (statusCode: number | undefined, code: string) => (error: unknown) => {
  assert.ok(error instanceof TicketError, `expected a TicketError, got ${String(error)}`);
  assert.equal(error.service, 'azure-devops');
  assert.equal(error.code, code, error.message);
  assert.equal(error.statusCode, statusCode);
  assert.ok(!/eyJ/.test(error.message), 'no token in the message');
  return true;
};

test('a finding becomes one work item: JSON Patch create with title, HTML description and fingerprint tags', async () => {
  reset();
  assert.equal(emulator.env['IDWARDEN_AZURE_DEVOPS_URL'], `${emulator.baseUrl}${DEVOPS_PATH}`);
  const finding = ticketFinding();
  const first = await syncTicket(tracker(), finding, 'open');
  assert.equal(first.action, 'opened');
  assert.deepEqual(first.ticket, {
    service: 'azure-devops',
    id: '1',
    url: `${baseUrl}/contoso/SecOps/_workitems/edit/1`,
    state: 'open',
    fingerprint: finding.id,
    digest: findingDigest(finding),
  });

  const [create] = writes();
  assert.equal(create?.path, `${DEVOPS_PATH}/contoso/SecOps/_apis/wit/workitems/$Issue`);
  assert.deepEqual(create.query, { 'api-version': '7.1' });
  assert.equal(create.headers.contentType, 'application/json-patch+json');
  const operations = JsonPatchDocument.parse(create.body);
  assert.deepEqual(
    operations.map(({ op, path }) => `${op} ${path}`),
    ['add /fields/System.Title', 'add /fields/System.Description', 'add /fields/System.Tags'],
  );
  assert.equal(operations[0]!.value, '[idwarden] High: uami-app holds Contributor at subscription scope');
  assert.equal(operations[2]!.value, `idwarden; idwarden:${finding.id}`);
  const description = String(operations[1]!.value);
  assert.match(description, /<li><b>Rule:<\/b> <code>privileged-role-broad-scope<\/code><\/li>/);
  assert.match(description, /<a href="https:\/\/portal\.azure\.com\/#@72f988bf-0000-4000-8000-000000000001\/resource\/subscriptions\//);
  assert.ok(description.includes(devOpsDigestLine(findingDigest(finding))));

  const stored = item('1');
  assert.equal(stored.fields['System.State'], 'To Do');
  assert.equal(stored.fields['System.Tags'], `idwarden; idwarden:${finding.id}`);
  assert.equal(stored.fields['System.CreatedBy'], BOT_PRINCIPAL, 'created by the bot identity the token names');

  assert.equal((await syncTicket(tracker(), finding, 'open', first.ticket)).action, 'unchanged');
  assert.equal(writes().length, 1, 'the second sync writes nothing');
});

test('change, resolve and recur: a comment, then Done with a history note, then To Do again', async () => {
  reset();
  const finding = ticketFinding();
  const opened = await syncTicket(tracker(), finding, 'open');
  const worse = { ...finding, severity: 'critical' as const };
  const changed = await syncTicket(tracker(), worse, 'open', opened.ticket);
  assert.equal(changed.action, 'commented');
  const [, comment, rewrite] = writes();
  assert.equal(comment?.path, `${DEVOPS_PATH}/contoso/SecOps/_apis/wit/workItems/1/comments`);
  assert.deepEqual(comment.query, { 'api-version': '7.1-preview.4' });
  assert.equal(comment.headers.contentType, 'application/json');
  assert.match(CommentCreateRequest.parse(comment.body).text, /^<p>The finding changed \(seen 2026-11-20T12:00:00\.000Z by a sweep\)\. The description above now shows it as it is\.<\/p><p>The managed identity uami-app/);
  const update = JsonPatchDocument.parse(rewrite?.body);
  assert.deepEqual(update.map(({ op, path }) => `${op} ${path}`), ['add /fields/System.Title', 'add /fields/System.Description']);
  assert.equal(item('1').fields['System.Title'], '[idwarden] Critical: uami-app holds Contributor at subscription scope');

  const closed = await syncTicket(tracker(), worse, 'resolved', changed.ticket, { now: new Date('2026-11-23T00:00:00Z') });
  assert.equal(closed.action, 'closed');
  assert.equal(closed.ticket?.state, 'closed');
  assert.deepEqual(JsonPatchDocument.parse(writes()[3]?.body), [
    { op: 'add', path: '/fields/System.State', value: 'Done' },
    { op: 'add', path: '/fields/System.History', value: '<p>Resolved: idwarden no longer sees this finding (checked 2026-11-23T00:00:00.000Z). Closing.</p>' },
  ]);
  assert.equal(item('1').fields['System.State'], 'Done');
  assert.equal((await syncTicket(tracker(), worse, 'resolved', closed.ticket)).action, 'unchanged');

  const back = await syncTicket(tracker(), worse, 'open', closed.ticket);
  assert.equal(back.action, 'reopened');
  assert.equal(item('1').fields['System.State'], 'To Do');
  assert.equal(item('1').comments.length, 3, 'the change comment, the resolution and the recurrence');
  assert.equal(writes().length, 5);
  assert.equal(sink.workItems.length, 1);
});

test('the closed state comes from the work item type: Closed in an Agile project', async () => {
  reset();
  const agile = tracker({ project: 'Platform' });
  const { ticket } = await syncTicket(agile, ticketFinding(), 'open');
  assert.equal(item(ticket!.id).fields['System.State'], 'Active');
  await syncTicket(agile, ticketFinding(), 'resolved', ticket);
  assert.equal(item(ticket!.id).fields['System.State'], 'Closed');
});

test('after state loss the work item is found by its tag through WIQL and one batched read', async () => {
  reset();
  const finding = ticketFinding();
  const other = ticketFinding({ id: 'stale-identity:0123456789abcdef0123', ruleId: 'stale-identity' });
  await syncTicket(tracker(), other, 'open');
  await syncTicket(tracker(), finding, 'open');
  await syncTicket(tracker({ project: 'Platform' }), finding, 'open');
  sink.requests.length = 0;

  const fresh = tracker();
  const found = await fresh.find(finding.id);
  assert.equal(found?.id, '2', 'the SecOps item, not the Platform one');
  assert.equal(found?.digest, findingDigest(finding));
  const [wiql, list] = sink.requests.filter((request) => request.route !== 'devops.workItemTypeStates.list');
  assert.equal(wiql?.route, 'devops.wiql.query');
  assert.deepEqual(WiqlRequest.parse(wiql.body), {
    query: "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project AND [System.Tags] CONTAINS 'idwarden' ORDER BY [System.Id]",
  });
  assert.equal(list?.route, 'devops.workItems.list');
  assert.equal(list.query['ids'], '1,2');
  assert.equal((await syncTicket(fresh, finding, 'open')).action, 'unchanged');
  assert.equal(writes().length, 0);
});

test('a token for another audience, a non-member or no token: 401 with Suppress, the 203 sign-in page without', async () => {
  reset();
  const armToken = tokenFor(emulator, BOT_PRINCIPAL, 'https://management.azure.com');
  await assert.rejects(tracker({ credential: tokenCredential(armToken) }).find(ticketFinding().id), ticketError(401, 'UnauthorizedRequestException'));
  const outsider = tokenFor(emulator, HUMAN_ADMIN, AZURE_DEVOPS_RESOURCE_ID);
  await assert.rejects(tracker({ credential: tokenCredential(outsider) }).open(ticketFinding(), 'a'.repeat(32)), (error: unknown) => {
    ticketError(401, 'UnauthorizedRequestException')(error);
    assert.match((error as Error).message, new RegExp(`TF400813: The user '${HUMAN_ADMIN}' is not authorized`));
    return true;
  });

  const wiql = `${DEVOPS_PATH}/contoso/SecOps/_apis/wit/wiql?api-version=7.1`;
  const suppressed = await call(emulator, 'POST', wiql, { body: { query: 'SELECT [System.Id] FROM WorkItems' }, headers: { 'x-tfs-fedauthredirect': 'Suppress' } });
  assert.equal(suppressed.status, 401);
  assert.equal(suppressed.body.typeKey, 'UnauthorizedRequestException');
  assert.match(suppressed.headers.get('www-authenticate') ?? '', /^Bearer authorization_uri=https:\/\/login\.microsoftonline\.com\//);
  const browser = await call(emulator, 'POST', wiql, { body: { query: 'SELECT [System.Id] FROM WorkItems' } });
  assert.equal(browser.status, 203);
  assert.match(browser.headers.get('content-type') ?? '', /^text\/html/);

  emulator.core.faults.add({ route: 'devops.wiql.query', times: 1, response: { status: 203, headers: { 'content-type': 'text/html' }, body: '<html>Sign in</html>' } });
  await assert.rejects(tracker().find(ticketFinding().id), ticketError(203, 'SignInRedirect'));
  assert.equal(sink.workItems.length, 0);
});

test('Azure DevOps refusals: wrong content type, unknown field, invalid state, missing preview flag, WIQL beyond the subset', async () => {
  reset();
  const token = tokenFor(emulator, BOT_PRINCIPAL, AZURE_DEVOPS_RESOURCE_ID);
  const create = `${DEVOPS_PATH}/contoso/SecOps/_apis/wit/workitems/$Issue?api-version=7.1`;
  const plainJson = await call(emulator, 'POST', create, { token, body: [{ op: 'add', path: '/fields/System.Title', value: 'x' }] });
  assert.equal(plainJson.status, 415);
  assert.equal(plainJson.body.typeKey, 'VssRequestContentTypeNotSupportedException');
  const patch = (body: unknown) => call(emulator, 'POST', create, { token, body, headers: { 'content-type': 'application/json-patch+json' } });
  assert.equal((await patch([{ op: 'add', path: '/fields/Custom.Owner', value: 'x' }, { op: 'add', path: '/fields/System.Title', value: 'x' }])).body.typeKey, 'WorkItemFieldInvalidException');
  const state = await patch([{ op: 'add', path: '/fields/System.Title', value: 'x' }, { op: 'add', path: '/fields/System.State', value: 'Closed' }]);
  assert.equal(state.status, 400);
  assert.equal(state.body.typeKey, 'RuleValidationException');
  assert.equal((await patch([{ op: 'add', path: '/fields/System.Description', value: 'x' }])).body.message, 'TF401320: Rule Error for field Title. Error code: Required, InvalidEmpty.');
  const comments = await call(emulator, 'POST', `${DEVOPS_PATH}/contoso/SecOps/_apis/wit/workItems/1/comments?api-version=7.1`, { token, body: { text: 'x' } });
  assert.equal(comments.body.typeKey, 'VssInvalidPreviewVersionException');
  const or = await call(emulator, 'POST', `${DEVOPS_PATH}/contoso/SecOps/_apis/wit/wiql?api-version=7.1`, {
    token,
    body: { query: "SELECT [System.Id] FROM WorkItems WHERE [System.State] = 'Done' OR [System.State] = 'To Do'" },
  });
  assert.equal(or.status, 400);
  assert.equal(or.body.typeKey, 'NotImplementedByEmulator');
  const missing = await call(emulator, 'GET', `${DEVOPS_PATH}/contoso/SecOps/_apis/wit/workitems/99?api-version=7.1`, { token });
  assert.equal(missing.status, 404);
  assert.equal(missing.body.message, 'TF401232: Work item 99 does not exist, or you do not have permissions to read it.');
  assert.equal(sink.workItems.length, 0);
});

test('WIQL date comparisons: by day unless timePrecision=true, a time without it refused, only on date fields', async () => {
  reset();
  const { clock } = emulator.core;
  const opened = await tracker().open(ticketFinding(), 'a'.repeat(32));
  const changedAt = Date.parse(String(item(opened.id).fields['System.ChangedDate']));
  const token = tokenFor(emulator, BOT_PRINCIPAL, AZURE_DEVOPS_RESOURCE_ID);
  const wiql = (condition: string, timePrecision = true) =>
    call(emulator, 'POST', `${DEVOPS_PATH}/contoso/SecOps/_apis/wit/wiql?api-version=7.1${timePrecision ? '&timePrecision=true' : ''}`, {
      token,
      body: { query: `SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project AND ${condition}` },
    });
  const ids = async (condition: string, timePrecision = true) => (await wiql(condition, timePrecision)).body.workItems.map((found: { id: number }) => found.id);
  const at = (offsetMs: number) => new Date(changedAt + offsetMs).toISOString();
  assert.deepEqual(await ids(`[System.ChangedDate] >= '${at(0)}'`), [Number(opened.id)]);
  assert.deepEqual(await ids(`[System.ChangedDate] > '${at(0)}'`), []);
  assert.deepEqual(await ids(`[System.ChangedDate] >= '${at(1000)}'`), [], 'to the millisecond with timePrecision');
  assert.deepEqual(await ids(`[System.ChangedDate] < '${at(1000)}'`), [Number(opened.id)]);
  assert.deepEqual(await ids(`[System.ChangedDate] >= '${at(0).slice(0, 10)}'`, false), [Number(opened.id)], 'by day without it');

  const timed = await wiql(`[System.ChangedDate] >= '${at(0)}'`, false);
  assert.equal(timed.status, 400);
  assert.equal(timed.body.typeKey, 'InvalidQueryException');
  assert.match(timed.body.message, /^You cannot supply a time with the date when running a query using date precision/);
  const notDate = await wiql(`[System.Title] >= 'a'`);
  assert.equal(notDate.status, 400);
  assert.equal(notDate.body.typeKey, 'NotImplementedByEmulator');

  // The incremental read the tracker runs: an update moves System.ChangedDate past the previous read.
  clock.advance(60_000);
  const readAt = clock.now().toISOString();
  assert.deepEqual(await ids(`[System.ChangedDate] >= '${readAt}'`), []);
  await tracker().update(opened, ticketFinding(), 'b'.repeat(32));
  assert.deepEqual(await ids(`[System.ChangedDate] >= '${readAt}'`), [Number(opened.id)]);
});

test('a blocked request (429, TF400733) is retried after Retry-After, bounded', async () => {
  reset();
  const { waits, sleep } = recordingSleep();
  emulator.core.faults.add({ route: 'devops.workItems.create', times: 1, response: devOpsThrottled({ retryAfterSeconds: 5 }) });
  const opened = await tracker({ http: { sleep } }).open(ticketFinding(), 'a'.repeat(32));
  assert.equal(opened.id, '1');
  assert.deepEqual(waits, [5000]);
  assert.equal(sink.workItems.length, 1);

  emulator.core.faults.add({ route: 'devops.comments.add', response: devOpsThrottled({ retryAfterSeconds: 1 }) });
  await assert.rejects(tracker({ http: { sleep } }).comment(opened, 'x'), (error: unknown) => {
    ticketError(429, 'RequestBlockedException')(error);
    assert.equal((error as TicketError).retryAfterMs, 1000);
    assert.ok((error as TicketError).requestId, 'the ActivityId to quote to support');
    return true;
  });
  assert.deepEqual(waits, [5000, 1000, 1000, 1000]);
});
