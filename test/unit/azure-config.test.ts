import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadAzureConfig } from '../../src/azure/config.ts';

const CLIENT_ID = 'b0700000-0000-4000-8000-0000000000c1';

function configErrorOf(env: Record<string, string>): ConfigError {
  try {
    loadAzureConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  return assert.fail('the configuration was accepted');
}

test('with nothing set, the bot talks to public Azure with DefaultAzureCredential', () => {
  assert.deepEqual(loadAzureConfig({}), {
    armEndpoint: 'https://management.azure.com',
    graphEndpoint: 'https://graph.microsoft.com',
    graphHost: 'graph.microsoft.com',
    credential: 'default',
    clientId: undefined,
    tenantId: undefined,
    requestTimeoutMs: 60_000,
  });
});

test('the emulator variables point every client at one local origin with the managed identity', () => {
  const config = loadAzureConfig({
    IDWARDEN_ARM_ENDPOINT: 'https://127.0.0.1:40443/',
    IDWARDEN_GRAPH_ENDPOINT: 'https://127.0.0.1:40443',
    IDWARDEN_CREDENTIAL: 'managed-identity',
    AZURE_CLIENT_ID: CLIENT_ID,
  });
  assert.equal(config.armEndpoint, 'https://127.0.0.1:40443', 'the trailing slash is dropped');
  assert.equal(config.graphEndpoint, 'https://127.0.0.1:40443');
  assert.equal(config.graphHost, '127.0.0.1', 'customHosts takes a host name: no scheme, no port');
  assert.equal(config.credential, 'managed-identity');
  assert.equal(config.clientId, CLIENT_ID);
});

test('empty values count as unset, as app settings templates leave them', () => {
  const config = loadAzureConfig({ IDWARDEN_ARM_ENDPOINT: '', IDWARDEN_CREDENTIAL: '', AZURE_CLIENT_ID: '', AZURE_TENANT_ID: '' });
  assert.equal(config.armEndpoint, 'https://management.azure.com');
  assert.equal(config.credential, 'default');
  assert.equal(config.clientId, undefined);
});

test('an invalid configuration is refused as a whole, naming every variable at fault', () => {
  const error = configErrorOf({
    IDWARDEN_ARM_ENDPOINT: 'http://127.0.0.1:8080',
    IDWARDEN_GRAPH_ENDPOINT: 'https://graph.microsoft.com/v1.0',
    IDWARDEN_CREDENTIAL: 'client-secret',
    AZURE_CLIENT_ID: 'not-a-guid',
    AZURE_TENANT_ID: 'contoso.onmicrosoft.com',
  });
  assert.equal(error.name, 'ConfigError');
  assert.deepEqual(
    error.issues.map((issue) => issue.variable),
    ['IDWARDEN_ARM_ENDPOINT', 'IDWARDEN_GRAPH_ENDPOINT', 'IDWARDEN_CREDENTIAL', 'AZURE_CLIENT_ID', 'AZURE_TENANT_ID'],
  );
  assert.match(error.issues[0]!.message, /must use https/);
  assert.match(error.issues[1]!.message, /origin only/);
  assert.match(error.issues[2]!.message, /'managed-identity'.*'default'/);
  for (const variable of ['IDWARDEN_ARM_ENDPOINT', 'IDWARDEN_GRAPH_ENDPOINT', 'IDWARDEN_CREDENTIAL', 'AZURE_CLIENT_ID', 'AZURE_TENANT_ID']) {
    assert.match(error.message, new RegExp(variable));
  }
});

test('a value that is not a URL at all is named as such', () => {
  const error = configErrorOf({ IDWARDEN_GRAPH_ENDPOINT: 'graph.microsoft.com' });
  assert.deepEqual(error.issues, [{ variable: 'IDWARDEN_GRAPH_ENDPOINT', message: "'graph.microsoft.com' is not a URL (expected an https origin such as https://graph.microsoft.com)" }]);
});
