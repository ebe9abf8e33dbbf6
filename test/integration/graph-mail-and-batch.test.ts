import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchRequestContent, BatchResponseContent } from '@microsoft/microsoft-graph-client';
import { useEmulator, call, tokenFor } from '../support/emulator.ts';
import { botGraphClient, graphError } from '../support/graph-client.ts';
import { MAILBOX, MAILBOX_USER, graphTenant } from '../support/graph-seed.ts';
import { BOT_PRINCIPAL, HUMAN_ADMIN, UAMI_PRINCIPAL } from '../support/ids.ts';

const emulator = await useEmulator({
  seed: graphTenant({
    appRoleAssignments: [
      { principalId: BOT_PRINCIPAL, permission: 'Directory.Read.All' },
      { principalId: BOT_PRINCIPAL, permission: 'Mail.Send' },
      { principalId: UAMI_PRINCIPAL, permission: 'Mail.Send' },
    ],
  }),
});
const graph = botGraphClient(emulator);
const botToken = tokenFor(emulator, BOT_PRINCIPAL, 'https://graph.microsoft.com');
const MISSING = '00000000-0000-4000-8000-00000000beef';

const message = (overrides: Record<string, unknown> = {}) => ({
  subject: 'Privileged role granted',
  body: { contentType: 'HTML', content: '<p>uami-app became Owner of prod</p>' },
  toRecipients: [{ emailAddress: { address: 'secops@contoso.example' } }],
  ...overrides,
});

test('sendMail answers 202 with no body and the message lands in the emulator mail sink', async () => {
  await call(emulator, 'DELETE', '/_emulator/mail');
  const sent = await call(emulator, 'POST', `/v1.0/users/${MAILBOX}/sendMail`, { token: botToken, body: { message: message(), saveToSentItems: false } });
  assert.equal(sent.status, 202);
  assert.equal(sent.body, undefined);
  await graph.api(`/users/${MAILBOX_USER}/sendMail`).post({ message: message({ subject: 'second' }) });

  const sink = await call(emulator, 'GET', '/_emulator/mail');
  assert.equal(sink.body.value.length, 2);
  const [first, second] = sink.body.value;
  assert.deepEqual(first.from, { id: MAILBOX_USER, userPrincipalName: MAILBOX });
  assert.equal(first.sentBy, BOT_PRINCIPAL);
  assert.equal(first.saveToSentItems, false);
  assert.equal(first.message.subject, 'Privileged role granted');
  assert.deepEqual(first.message.toRecipients, [{ emailAddress: { address: 'secops@contoso.example' } }]);
  assert.equal(second.saveToSentItems, true);
  assert.equal((await call(emulator, 'DELETE', '/_emulator/mail')).status, 204);
  assert.deepEqual((await call(emulator, 'GET', '/_emulator/mail')).body.value, []);
});

test('sendMail without Mail.Send is 403; a bad message is refused the way Exchange refuses it', async () => {
  const denied = await call(emulator, 'POST', `/v1.0/users/${MAILBOX}/sendMail`, { token: tokenFor(emulator, HUMAN_ADMIN, 'https://graph.microsoft.com'), body: { message: message() } });
  assert.equal(denied.status, 403);
  assert.equal(denied.body.error.code, 'Authorization_RequestDenied');

  const send = (body: unknown, user = MAILBOX) => graph.api(`/users/${user}/sendMail`).post(body);
  await assert.rejects(send({ message: message({ toRecipients: [] }) }), (error: Error) => {
    graphError(400, 'ErrorInvalidRecipients')(error);
    assert.match(error.message, /contains no recipients/);
    return true;
  });
  await assert.rejects(send({ message: message({ toRecipients: [{ emailAddress: { address: 'secops' } }] }) }), (error: Error) => {
    graphError(400, 'ErrorInvalidRecipients')(error);
    assert.match(error.message, /Recipient 'secops' is not resolved/);
    return true;
  });
  await assert.rejects(send({ message: message({ body: { contentType: 'Markdown', content: '#' } }) }), graphError(400, 'RequestBodyRead'));
  await assert.rejects(send({ message: message({ toRecipients: 'secops@contoso.example' }) }), graphError(400, 'RequestBodyRead'));
  await assert.rejects(send({ subject: 'no wrapper', toRecipients: [] }), graphError(400, 'RequestBodyRead'));
  await assert.rejects(send({ message: message() }, 'nobody@contoso.example'), graphError(404, 'ErrorInvalidUser'));
  await assert.rejects(graph.api('/me/sendMail').post({ message: message() }), graphError(400, 'BadRequest'));
  assert.deepEqual((await call(emulator, 'GET', '/_emulator/mail')).body.value, []);
});

test('a $batch of 20 runs every item through the Graph routes, a missing object answering 404 in its own item', async () => {
  const batch = new BatchRequestContent();
  const principals = [...emulator.core.tenant.servicePrincipals.values()].map((principal) => principal.id);
  for (let i = 0; i < 19; i += 1) {
    batch.addRequest({ id: String(i + 1), request: new Request(`${emulator.baseUrl}/v1.0/servicePrincipals/${principals[i % principals.length]}?$select=id`, { method: 'GET' }) });
  }
  batch.addRequest({ id: '20', request: new Request(`${emulator.baseUrl}/v1.0/servicePrincipals/${MISSING}`, { method: 'GET' }) });
  const raw = await graph.api('/$batch').post(await batch.getContent());
  assert.equal(raw.responses.length, 20);
  const responses = new BatchResponseContent(raw);
  for (let i = 1; i <= 19; i += 1) {
    const item = responses.getResponseById(String(i))!;
    assert.equal(item.status, 200);
    assert.equal(((await item.json()) as { id: string }).id, principals[(i - 1) % principals.length]);
  }
  const missing = responses.getResponseById('20')!;
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'Request_ResourceNotFound');
  assert.equal(emulator.core.requests.recent().filter((entry) => entry.route === 'graph.servicePrincipals.get').length >= 20, true);
});

test('item urls work with or without the version prefix; permission checks and injected faults apply per item', async () => {
  const faultId = emulator.core.faults.add({ route: 'graph.groups.get', times: 1, response: { status: 429, headers: { 'Retry-After': '7' }, body: { error: { code: 'TooManyRequests', message: 'Please retry again later.' } } } });
  try {
    const result = await graph.api('/$batch').post({
      requests: [
        { id: 'plain', method: 'GET', url: `servicePrincipals/${UAMI_PRINCIPAL}?$select=id,displayName` },
        { id: 'versioned', method: 'GET', url: `/v1.0/servicePrincipals/${UAMI_PRINCIPAL}/appRoleAssignments` },
        { id: 'throttled', method: 'GET', url: `/groups/${MISSING}` },
        { id: 'denied', method: 'DELETE', url: `/servicePrincipals/${UAMI_PRINCIPAL}/appRoleAssignments/whatever` },
        { id: 'mail', method: 'POST', url: `/users/${MAILBOX}/sendMail`, headers: { 'Content-Type': 'application/json' }, body: { message: message() } },
      ],
    });
    const byId = Object.fromEntries(result.responses.map((item: { id: string }) => [item.id, item]));
    assert.equal(byId.plain.status, 200);
    assert.deepEqual(byId.plain.body, { '@odata.context': `${emulator.baseUrl}/v1.0/$metadata#servicePrincipals(id,displayName)/$entity`, id: UAMI_PRINCIPAL, displayName: 'uami-app' });
    assert.equal(byId.versioned.status, 200);
    assert.equal(byId.throttled.status, 429);
    assert.equal(byId.throttled.headers['Retry-After'], '7');
    assert.equal(byId.denied.status, 403);
    assert.equal(byId.denied.body.error.code, 'Authorization_RequestDenied');
    assert.equal(byId.mail.status, 202);
    assert.equal('body' in byId.mail, false);
    assert.equal(emulator.core.mail.list().length, 1);
  } finally {
    emulator.core.faults.remove(faultId);
    emulator.core.mail.clear();
  }
});

test('a failed dependency answers 424; requests run after what they depend on', async () => {
  const result = await graph.api('/$batch').post({
    requests: [
      { id: 'after', method: 'GET', url: `/servicePrincipals/${UAMI_PRINCIPAL}`, dependsOn: ['first'] },
      { id: 'first', method: 'GET', url: `/servicePrincipals/${BOT_PRINCIPAL}` },
      { id: 'missing', method: 'GET', url: `/servicePrincipals/${MISSING}` },
      { id: 'blocked', method: 'GET', url: `/servicePrincipals/${UAMI_PRINCIPAL}`, dependsOn: ['missing'] },
      { id: 'chained', method: 'GET', url: `/servicePrincipals/${UAMI_PRINCIPAL}`, dependsOn: ['blocked'] },
    ],
  });
  assert.deepEqual(
    result.responses.map((item: { id: string; status: number }) => [item.id, item.status]),
    [['after', 200], ['first', 200], ['missing', 404], ['blocked', 424], ['chained', 424]],
  );
  assert.equal(result.responses[3].body.error.code, 'FailedDependency');
});

test('a malformed batch is refused as a whole with 400', async () => {
  const item = (id: string) => ({ id, method: 'GET', url: `/servicePrincipals/${UAMI_PRINCIPAL}` });
  const post = (body: unknown) => call(emulator, 'POST', '/v1.0/$batch', { token: botToken, body });
  const cases: [string, unknown][] = [
    ['21 requests', { requests: Array.from({ length: 21 }, (_, i) => item(String(i))) }],
    ['duplicate ids', { requests: [item('1'), item('1')] }],
    ['a body without Content-Type', { requests: [{ ...item('1'), method: 'POST', body: {} }] }],
    ['an unknown dependency', { requests: [{ ...item('1'), dependsOn: ['9'] }] }],
    ['a dependency cycle', { requests: [{ ...item('1'), dependsOn: ['2'] }, { ...item('2'), dependsOn: ['1'] }] }],
    ['an absolute url', { requests: [{ ...item('1'), url: 'https://graph.microsoft.com/v1.0/servicePrincipals' }] }],
    ['no requests property', { calls: [] }],
  ];
  for (const [what, body] of cases) {
    const response = await post(body);
    assert.equal(response.status, 400, what);
    assert.equal(response.body.error.code, 'BadRequest', what);
  }
});
