import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ARM_SCOPE, GRAPH_SCOPE } from '../../src/azure/clients.ts';
import { loadAzureConfig } from '../../src/azure/config.ts';
import { createCredential } from '../../src/azure/credential.ts';
import { useEmulator } from '../support/emulator.ts';
import { smallTenant } from '../support/seeds.ts';

/** In its own file: MSAL caches managed-identity tokens process-wide, and this counts the first requests for them. */
const emulator = await useEmulator({ seed: smallTenant() });

const tokenRequests = () => emulator.core.requests.recent().filter((entry) => entry.route.startsWith('token.')).length;

test('concurrent asks for one token share one request to the token endpoint; another resource gets its own', async () => {
  const credential = createCredential(loadAzureConfig(emulator.env));
  const before = tokenRequests();
  const controller = new AbortController();
  const asks = [
    // The caller that started the request gives up: that must not fail the others waiting on it.
    credential.getToken(ARM_SCOPE, { abortSignal: controller.signal }),
    ...Array.from({ length: 8 }, () => credential.getToken(ARM_SCOPE)),
    credential.getToken(GRAPH_SCOPE),
  ];
  controller.abort();
  const tokens = await Promise.all(asks);
  assert.equal(tokenRequests() - before, 2, 'one request per resource');
  assert.equal(new Set(tokens.slice(0, 9).map((token) => token?.token)).size, 1);
  assert.notEqual(tokens[9]?.token, tokens[0]?.token);
});
