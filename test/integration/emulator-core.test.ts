import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManagedIdentityCredential } from '@azure/identity';
import { useEmulator, call, tokenFor } from '../support/emulator.ts';
import { smallTenant } from '../support/seeds.ts';
import { BOT_PRINCIPAL, HUMAN_ADMIN, TENANT_ID, UAMI_CLIENT, UAMI_PRINCIPAL } from '../support/ids.ts';

const emulator = await useEmulator({ seed: smallTenant() });

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));

test('ManagedIdentityCredential gets a signed token for the bot from the App Service-style endpoint', async () => {
  const credential = new ManagedIdentityCredential();
  const token = await credential.getToken('https://management.azure.com/.default');
  assert.ok(token.expiresOnTimestamp > Date.now());
  const claims = claimsOf(token.token);
  assert.equal(claims.oid, BOT_PRINCIPAL);
  assert.equal(claims.tid, TENANT_ID);
  assert.equal(claims.aud, 'https://management.azure.com');
  assert.equal(claims.iss, `https://sts.windows.net/${TENANT_ID}/`);
  const header = JSON.parse(Buffer.from(token.token.split('.')[0]!, 'base64url').toString('utf8'));
  assert.equal(header.alg, 'RS256');
  assert.equal(emulator.core.tokens.verify(token.token, TENANT_ID).ok, true);
});

test('a user-assigned identity is selected by client id; an unknown one is refused', async () => {
  const token = await new ManagedIdentityCredential({ clientId: UAMI_CLIENT }).getToken('https://graph.microsoft.com/.default');
  assert.equal(claimsOf(token.token).oid, UAMI_PRINCIPAL);
  assert.equal(claimsOf(token.token).aud, 'https://graph.microsoft.com');
  const unknown = await call(emulator, 'GET', `/msi/token?api-version=2019-08-01&resource=https://management.azure.com&client_id=00000000-0000-4000-8000-00000000dead`, {
    headers: { 'x-identity-header': emulator.env['IDENTITY_HEADER']! },
  });
  assert.equal(unknown.status, 400);
  assert.deepEqual(unknown.body, { error: 'invalid_request', error_description: 'Identity not found' });
});

test('the token endpoint refuses a caller without the identity header', async () => {
  const response = await call(emulator, 'GET', '/msi/token?api-version=2019-08-01&resource=https://management.azure.com');
  assert.equal(response.status, 401);
  assert.equal(response.body.error, 'unauthorized_client');
});

test('an unknown route says plainly that the emulator does not implement it', async () => {
  const response = await call(emulator, 'GET', '/subscriptions/x/providers/Microsoft.Nope/things?api-version=2020-01-01', { token: tokenFor(emulator, HUMAN_ADMIN) });
  assert.equal(response.status, 501);
  assert.equal(response.body.error.code, 'NotImplementedByEmulator');
  assert.match(response.body.error.message, /GET \/subscriptions\/x\/providers\/Microsoft\.Nope\/things/);
  assert.ok(response.headers.get('x-ms-request-id'));
});

test('injected faults answer instead of the route, a set number of times', async () => {
  const id = emulator.core.faults.add({ route: 'control.health', times: 1, response: { status: 503, headers: { 'retry-after': '1' }, body: { error: { code: 'ServerBusy', message: 'busy' } } } });
  const first = await call(emulator, 'GET', '/_emulator/health');
  const second = await call(emulator, 'GET', '/_emulator/health');
  assert.equal(first.status, 503);
  assert.equal(first.headers.get('retry-after'), '1');
  assert.equal(second.status, 200);
  assert.equal(emulator.core.faults.counts()[id], 1);
  emulator.core.faults.remove(id);
});

test('the request log counts calls by route name', async () => {
  emulator.core.requests.reset();
  await call(emulator, 'GET', '/_emulator/health');
  await call(emulator, 'GET', '/_emulator/health');
  assert.equal(emulator.core.requests.countsByRoute()['control.health'], 2);
});
