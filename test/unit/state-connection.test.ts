import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/azure/config.ts';
import { createQueueClient, createTableClient, loadStorageConfig } from '../../src/state/connection.ts';

const ACCOUNT_KEY = 'c2VjcmV0LWtleS10aGF0LW11c3Qtbm90LWxlYWs=';

function issuesOf(env: Record<string, string>): ConfigError['issues'] {
  try {
    loadStorageConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  return assert.fail('the configuration was accepted');
}

test("Azurite's development shortcut is a connection string", () => {
  assert.deepEqual(loadStorageConfig({ IDWARDEN_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' }), {
    kind: 'connection-string',
    connectionString: 'UseDevelopmentStorage=true',
  });
});

test('identity-based: the two service endpoints, normalised, and no key anywhere', () => {
  assert.deepEqual(
    loadStorageConfig({
      IDWARDEN_STORAGE_TABLE_ENDPOINT: 'https://idwarden.table.core.windows.net/',
      IDWARDEN_STORAGE_QUEUE_ENDPOINT: 'https://idwarden.queue.core.windows.net',
    }),
    { kind: 'identity', tableEndpoint: 'https://idwarden.table.core.windows.net', queueEndpoint: 'https://idwarden.queue.core.windows.net' },
  );
  assert.deepEqual(
    loadStorageConfig({
      IDWARDEN_STORAGE_TABLE_ENDPOINT: 'https://127.0.0.1:10002/devstoreaccount1/',
      IDWARDEN_STORAGE_QUEUE_ENDPOINT: 'https://127.0.0.1:10001/devstoreaccount1',
    }),
    { kind: 'identity', tableEndpoint: 'https://127.0.0.1:10002/devstoreaccount1', queueEndpoint: 'https://127.0.0.1:10001/devstoreaccount1' },
    "Azurite's account path is kept",
  );
});

test("the Functions host's identity-based AzureWebJobsStorage settings are accepted; the bot's own variables win", () => {
  const functionsHost = {
    AzureWebJobsStorage__tableServiceUri: 'https://host.table.core.windows.net',
    AzureWebJobsStorage__queueServiceUri: 'https://host.queue.core.windows.net',
    AzureWebJobsStorage__credential: 'managedidentity',
  };
  assert.deepEqual(loadStorageConfig(functionsHost), {
    kind: 'identity',
    tableEndpoint: 'https://host.table.core.windows.net',
    queueEndpoint: 'https://host.queue.core.windows.net',
  });
  assert.deepEqual(loadStorageConfig({ ...functionsHost, IDWARDEN_STORAGE_TABLE_ENDPOINT: 'https://bot.table.core.windows.net' }), {
    kind: 'identity',
    tableEndpoint: 'https://bot.table.core.windows.net',
    queueEndpoint: 'https://host.queue.core.windows.net',
  });
  assert.equal(loadStorageConfig({ ...functionsHost, IDWARDEN_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' }).kind, 'connection-string');
});

test('nothing configured: one issue that names every way to configure storage', () => {
  const [issue, ...rest] = issuesOf({ IDWARDEN_STORAGE_CONNECTION_STRING: '', IDWARDEN_STORAGE_TABLE_ENDPOINT: '' });
  assert.deepEqual(rest, []);
  assert.equal(issue?.variable, 'IDWARDEN_STORAGE_TABLE_ENDPOINT');
  for (const name of ['IDWARDEN_STORAGE_QUEUE_ENDPOINT', 'AzureWebJobsStorage__tableServiceUri', 'IDWARDEN_STORAGE_CONNECTION_STRING', 'UseDevelopmentStorage=true']) {
    assert.ok(issue?.message.includes(name), `mentions ${name}`);
  }
});

test('every endpoint problem is listed at once: http, a SAS query string, not a URL, a missing partner', () => {
  assert.deepEqual(
    issuesOf({
      IDWARDEN_STORAGE_TABLE_ENDPOINT: 'http://idwarden.table.core.windows.net',
      IDWARDEN_STORAGE_QUEUE_ENDPOINT: 'https://idwarden.queue.core.windows.net/?sv=2024&sig=abc',
      AzureWebJobsStorage__tableServiceUri: 'not a url',
    }).map((issue) => issue.variable),
    ['IDWARDEN_STORAGE_TABLE_ENDPOINT', 'IDWARDEN_STORAGE_QUEUE_ENDPOINT', 'AzureWebJobsStorage__tableServiceUri'],
  );
  const [sas] = issuesOf({ IDWARDEN_STORAGE_TABLE_ENDPOINT: 'https://a.table.core.windows.net', IDWARDEN_STORAGE_QUEUE_ENDPOINT: 'https://a.queue.core.windows.net?sig=secret' });
  assert.match(sas?.message ?? '', /no SAS/);
  assert.ok(!sas?.message.includes('secret'), 'the SAS is not echoed');

  assert.deepEqual(issuesOf({ IDWARDEN_STORAGE_TABLE_ENDPOINT: 'https://a.table.core.windows.net' }).map((issue) => issue.variable), ['IDWARDEN_STORAGE_QUEUE_ENDPOINT']);
  assert.deepEqual(issuesOf({ AzureWebJobsStorage__queueServiceUri: 'https://a.queue.core.windows.net' }).map((issue) => issue.variable), ['IDWARDEN_STORAGE_TABLE_ENDPOINT']);
});

test('a connection string and identity endpoints together are ambiguous', () => {
  const [issue] = issuesOf({ IDWARDEN_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true', IDWARDEN_STORAGE_QUEUE_ENDPOINT: 'https://a.queue.core.windows.net' });
  assert.equal(issue?.variable, 'IDWARDEN_STORAGE_CONNECTION_STRING');
  assert.match(issue?.message ?? '', /not both/);
});

test('a malformed connection string is refused without ever echoing it', () => {
  const cases: [string, RegExp][] = [
    ['just-some-text', /Name=value/],
    [`AccountName=idwarden;EndpointSuffix=core.windows.net`, /AccountKey or SharedAccessSignature/],
    [`TableEndpoint=https://a.table.core.windows.net;AccountKey=${ACCOUNT_KEY}`, /AccountName, or both TableEndpoint and QueueEndpoint/],
  ];
  for (const [value, expected] of cases) {
    const issues = issuesOf({ IDWARDEN_STORAGE_CONNECTION_STRING: value });
    assert.equal(issues[0]?.variable, 'IDWARDEN_STORAGE_CONNECTION_STRING');
    assert.match(issues[0]?.message ?? '', expected);
    assert.ok(!JSON.stringify(issues).includes(ACCOUNT_KEY) && !JSON.stringify(issues).includes(value), 'the value is not in the issues');
  }
  assert.equal(
    loadStorageConfig({ IDWARDEN_STORAGE_CONNECTION_STRING: `DefaultEndpointsProtocol=https;AccountName=idwarden;AccountKey=${ACCOUNT_KEY};EndpointSuffix=core.windows.net` }).kind,
    'connection-string',
  );
});

test('an identity-based connection needs the bot credential to make clients', async () => {
  const connection = loadStorageConfig({ IDWARDEN_STORAGE_TABLE_ENDPOINT: 'https://a.table.core.windows.net', IDWARDEN_STORAGE_QUEUE_ENDPOINT: 'https://a.queue.core.windows.net' });
  await assert.rejects(createTableClient(connection, 'findings'), /needs the bot's TokenCredential/);
  await assert.rejects(createQueueClient(connection, 'scan-requests'), /needs the bot's TokenCredential/);
  const credential = { getToken: async () => ({ token: 't', expiresOnTimestamp: Date.now() + 60_000 }) };
  assert.equal((await createQueueClient(connection, 'scan-requests', { credential })).url, 'https://a.queue.core.windows.net/scan-requests');
  assert.equal((await createTableClient(connection, 'findings', { credential })).tableName, 'findings');
});
