import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, tokenFor, useEmulator } from '../support/emulator.ts';
import { smallTenant } from '../support/seeds.ts';
import { BOT_PRINCIPAL } from '../support/ids.ts';
import { workflowThrottled, TEAMS_MESSAGE_LIMIT_BYTES } from '../../emulator/sinks/teams.ts';

const emulator = await useEmulator({ seed: smallTenant() });
const workflow = emulator.core.sinks.teams.createWorkflow(emulator.baseUrl, 'secops alerts');
const invokePath = (url: string) => url.slice(emulator.baseUrl.length);
const withQuery = (change: (query: URLSearchParams) => void) => {
  const url = new URL(workflow.url);
  change(url.searchParams);
  return `${url.pathname}?${url.searchParams}`;
};

const card = (overrides: Record<string, unknown> = {}) => ({
  $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
  type: 'AdaptiveCard',
  version: '1.4',
  body: [
    { type: 'TextBlock', text: 'Privileged role granted', size: 'Large', weight: 'Bolder', wrap: true },
    { type: 'FactSet', facts: [{ title: 'Principal', value: 'uami-x' }] },
  ],
  actions: [{ type: 'Action.OpenUrl', title: 'Open', url: 'https://portal.azure.com/' }],
  ...overrides,
});
const message = (content: unknown = card()) => ({ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content }] });

const post = (path: string, body: unknown, headers: Record<string, string> = {}) => call(emulator, 'POST', path, { body, headers });

test('a workflow URL has the Logic Apps shape and its trigger answers 202 with no body; the post and its card are recorded', async () => {
  emulator.core.sinks.teams.clear();
  assert.match(workflow.url, /^https:\/\/127\.0\.0\.1:\d+\/workflows\/[0-9a-f]{32}\/triggers\/manual\/paths\/invoke\?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1\.0&sig=[\w-]{43}$/);
  const answer = await post(invokePath(workflow.url), message());
  assert.equal(answer.status, 202);
  assert.equal(answer.body, undefined);
  assert.match(answer.headers.get('x-ms-workflow-run-id') ?? '', /^08584[0-9A-F]{24}CU00$/);

  const listed = await call(emulator, 'GET', '/_emulator/sinks/teams');
  assert.equal(listed.body.value.length, 1);
  const [recorded] = listed.body.value;
  assert.equal(recorded.workflowName, 'secops alerts');
  assert.deepEqual(recorded.run, { status: 'Succeeded' });
  assert.deepEqual(recorded.cards, [card()]);
  assert.deepEqual(recorded.body, message());
  assert.ok(!JSON.stringify(recorded).includes(new URL(workflow.url).searchParams.get('sig')!), 'the signature is not kept');
  assert.equal((await call(emulator, 'DELETE', '/_emulator/sinks/teams')).status, 204);
  assert.deepEqual(emulator.core.sinks.teams.posts(), []);
});

test('the signature is the credential: missing, wrong, or joined by a bearer token, the trigger refuses as Logic Apps does', async () => {
  emulator.core.sinks.teams.clear();
  const unsigned = await post(withQuery((query) => ['sp', 'sv', 'sig'].forEach((name) => query.delete(name))), message());
  assert.equal(unsigned.status, 401);
  assert.deepEqual(unsigned.body, { error: { code: 'DirectApiAuthorizationRequired', message: 'The request must be authenticated only by Shared Access scheme.' } });

  const forged = await post(withQuery((query) => query.set('sig', 'A'.repeat(43))), message());
  assert.equal(forged.status, 401);
  assert.deepEqual(forged.body, { error: { code: 'DirectApiInvalidAuthorizationSignature', message: 'The provided authorization signature is not valid.' } });
  const widened = await post(withQuery((query) => query.set('sp', '/triggers/manual/read')), message());
  assert.equal(widened.body.error.code, 'DirectApiInvalidAuthorizationSignature', 'sp is covered by the signature');

  const twoSchemes = await post(invokePath(workflow.url), message(), { authorization: `Bearer ${tokenFor(emulator, BOT_PRINCIPAL)}` });
  assert.equal(twoSchemes.status, 400);
  assert.equal(twoSchemes.body.error.code, 'DirectApiRequestHasMoreThanOneAuthorization');

  const unknown = await post(invokePath(workflow.url).replace(workflow.id, 'f'.repeat(32)), message());
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error.code, 'WorkflowNotFound');

  const noVersion = await post(withQuery((query) => query.delete('api-version')), message());
  assert.equal(noVersion.status, 400);
  assert.equal(noVersion.body.error.code, 'MissingApiVersionParameter');
  const badVersion = await post(withQuery((query) => query.set('api-version', '1')), message());
  assert.equal(badVersion.body.error.code, 'InvalidApiVersionParameter');
  assert.deepEqual(emulator.core.sinks.teams.posts(), [], 'nothing refused is recorded');
});

test('a card Teams cannot post is accepted with 202 but fails the run, with the reasons, as the flow run history shows it', async () => {
  emulator.core.sinks.teams.clear();
  const cases: [string, unknown, string, RegExp][] = [
    ['Action.Submit', message(card({ actions: [{ type: 'Action.Submit', title: 'Approve' }] })), 'BadRequest', /actions\.0\.type: Action\.Submit: not supported/],
    ['legacy MessageCard', { '@type': 'MessageCard', text: 'hello' }, 'InvalidTemplate', /'foreach' expression .* is of type 'Null'/],
    ['misspelt property', message(card({ body: [{ type: 'TextBlock', text: 'x', fontSize: 'Large' }] })), 'BadRequest', /body\.0: Unrecognized key: "fontSize"/],
    ['version Teams does not render', message(card({ version: '1.6' })), 'BadRequest', /version: expected a version Teams renders/],
    ['element outside the subset', message(card({ body: [{ type: 'Image', url: 'https://example.com/x.png' }] })), 'BadRequest', /Image: valid Adaptive Cards, but outside the subset/],
    ['javascript: link', message(card({ actions: [{ type: 'Action.OpenUrl', title: 'x', url: 'javascript:alert(1)' }] })), 'BadRequest', /actions\.0\.url: expected an absolute https/],
  ];
  for (const [, body] of cases) assert.equal((await post(invokePath(workflow.url), body)).status, 202);
  const posts = emulator.core.sinks.teams.posts();
  assert.equal(posts.length, cases.length);
  posts.forEach((recorded, index) => {
    const [name, , code, problem] = cases[index]!;
    assert.equal(recorded.run.status, 'Failed', name);
    if (recorded.run.status !== 'Failed') return;
    assert.equal(recorded.run.code, code, name);
    assert.ok(recorded.run.problems.some((line) => problem.test(line)), `${name}: ${recorded.run.problems.join(' | ')}`);
    assert.deepEqual(recorded.cards, []);
  });
});

test('a message over 28 KB fails the run as Request Entity too large', async () => {
  emulator.core.sinks.teams.clear();
  const big = message(card({ body: [{ type: 'TextBlock', text: 'x'.repeat(TEAMS_MESSAGE_LIMIT_BYTES) }] }));
  assert.equal((await post(invokePath(workflow.url), big)).status, 202);
  const [recorded] = emulator.core.sinks.teams.posts();
  assert.ok(recorded!.bytes > TEAMS_MESSAGE_LIMIT_BYTES);
  assert.equal(recorded!.run.status === 'Failed' && recorded!.run.code, 'RequestEntityTooLarge');
});

test('throttling comes from a fault rule on teams.workflow.invoke, in the Logic Apps shape with Retry-After', async () => {
  emulator.core.sinks.teams.clear();
  const fault = emulator.core.faults.add({ route: 'teams.workflow.invoke', times: 1, response: workflowThrottled(3, workflow.id) });
  try {
    const throttled = await post(invokePath(workflow.url), message());
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers.get('retry-after'), '3');
    assert.equal(throttled.body.error.code, 'WorkflowRequestsThrottled');
    assert.equal((await post(invokePath(workflow.url), message())).status, 202);
    assert.equal(emulator.core.sinks.teams.posts().length, 1);
  } finally {
    emulator.core.faults.remove(fault);
  }
});

test('the control surface creates workflows with their own signatures', async () => {
  const created = await call(emulator, 'POST', '/_emulator/sinks/teams/workflows', { body: { name: 'second channel' } });
  assert.equal(created.status, 201);
  assert.equal(created.body.name, 'second channel');
  assert.notEqual(new URL(created.body.url).searchParams.get('sig'), new URL(workflow.url).searchParams.get('sig'));
  const crossed = withQuery((query) => query.set('sig', new URL(created.body.url).searchParams.get('sig')!));
  assert.equal((await post(crossed, message())).status, 401, "one workflow's signature does not open another");
  assert.equal((await call(emulator, 'POST', '/_emulator/sinks/teams/workflows', { body: { colour: 'red' } })).body.error.code, 'InvalidControlRequest');
});
