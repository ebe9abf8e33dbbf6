import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { TableServiceClient } from '@azure/data-tables';
import { loadStorageConfig } from '../../src/state/connection.ts';
import { coverage } from '../../src/state/coverage.ts';
import { StateStoreError } from '../../src/state/errors.ts';
import { openStateStore } from '../../src/state/state-store.ts';
import { useAzurite } from '../support/azurite.ts';
import { SUB_PROD } from '../support/ids.ts';
import { aFinding, minute, openTestStore, rawTable, roleAssignmentId } from '../support/state.ts';

const azurite = await useAzurite();

test('Azurite starts from node_modules on free ports, well within the time limit', () => {
  assert.match(azurite.tableEndpoint, /^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
  assert.notEqual(azurite.tableEndpoint, 'http://127.0.0.1:10002/devstoreaccount1', 'not the fixed default port');
  assert.ok(azurite.startupMs < 15_000, `started in ${Math.round(azurite.startupMs)} ms`);
});

test('opening the store creates its tables once, however many times and however concurrently it is opened', async () => {
  const config = {
    connection: loadStorageConfig({ IDWARDEN_STORAGE_CONNECTION_STRING: azurite.connectionString }),
    tablePrefix: 'idempotent',
  };
  const [first, second] = await Promise.all([openStateStore(config), openStateStore(config), openStateStore(config)]);
  const again = await openStateStore(config);
  assert.deepEqual(first?.tables, ['idempotentFindings', 'idempotentAudit', 'idempotentEvents', 'idempotentObjects', 'idempotentRuns']);

  const names: string[] = [];
  for await (const table of TableServiceClient.fromConnectionString(azurite.connectionString, { allowInsecureConnection: true }).listTables()) {
    if (table.name?.startsWith('idempotent')) names.push(table.name);
  }
  assert.deepEqual(names.sort(), [...first!.tables].sort());

  const finding = aFinding({ roleAssignmentId: roleAssignmentId('ra-shared') });
  await second!.findings.upsertFromRun([finding], { source: 'sweep', scope: [coverage.subscription(SUB_PROD)], at: minute(0) });
  assert.equal((await again.findings.get(finding.id))?.status, 'open', 'every opening sees the same tables');
});

test('a table prefix that would make an invalid table name is refused', async () => {
  await assert.rejects(openStateStore({ connection: { kind: 'connection-string', connectionString: azurite.connectionString }, tablePrefix: '1-bad' }), /letters and digits/);
});

test('the last sweep per scope: kept unless a later-started sweep is stored; listed for the health endpoint', async () => {
  const { runs } = await openTestStore(azurite);
  const sweep = (scope: string, startedAt: Date, runId: string) => ({
    scope,
    runId,
    startedAt,
    finishedAt: new Date(startedAt.getTime() + 30_000),
    outcome: 'succeeded' as const,
    summary: { findings: 3, opened: 1, resolved: 0, gaps: [] },
  });
  assert.equal(await runs.recordSweep(sweep(SUB_PROD, minute(10), 'run-10')), true);
  assert.equal(await runs.recordSweep(sweep(SUB_PROD.toUpperCase(), minute(5), 'run-5-late')), false, 'an older sweep finishing late');
  assert.equal(await runs.recordSweep(sweep('tenant', minute(12), 'run-tenant')), true);

  assert.deepEqual(await runs.lastSweep(SUB_PROD), sweep(SUB_PROD, minute(10), 'run-10'));
  assert.equal(await runs.lastSweep('never-swept'), undefined);
  assert.deepEqual((await runs.listLastSweeps()).map((record) => record.runId).sort(), ['run-10', 'run-tenant']);
});

test('an entity in the wrong shape is a StateStoreError naming it, not a crash further on', async () => {
  const store = await openTestStore(azurite);
  const finding = aFinding({ roleAssignmentId: roleAssignmentId('ra-tampered') });
  await store.findings.upsertFromRun([finding], { source: 'sweep', scope: [], at: minute(0) });
  const raw = rawTable(azurite, store, 'Findings');
  for await (const entity of raw.listEntities()) await raw.updateEntity({ partitionKey: entity.partitionKey!, rowKey: entity.rowKey!, status: 'maybe' }, 'Merge');

  await assert.rejects(store.findings.get(finding.id), (error: unknown) => {
    assert.ok(error instanceof StateStoreError);
    assert.equal(error.code, 'InvalidEntity');
    assert.equal(error.operation, 'get');
    assert.match(error.message, /status/);
    return true;
  });
});

test('storage going away mid-run is a typed error; after a restart (in memory: everything lost) the store recreates its tables', async () => {
  const store = await openTestStore(azurite);
  const before = aFinding({ roleAssignmentId: roleAssignmentId('ra-before-crash') });
  await store.findings.upsertFromRun([before], { source: 'sweep', scope: [coverage.subscription(SUB_PROD)], at: minute(0) });
  assert.equal((await store.ping()).reachable, true);

  const many = Array.from({ length: 200 }, (_, n) => aFinding({ roleAssignmentId: roleAssignmentId(`ra-in-flight-${n}`) }));
  const inFlight = store.findings.upsertFromRun(many, { source: 'sweep', scope: [coverage.subscription(SUB_PROD)], at: minute(1) });
  // The expectation is attached before the kill: the run may fail while the kill is still being awaited.
  const failure = assert.rejects(inFlight, (error: unknown) => {
    assert.ok(error instanceof StateStoreError, `got ${String(error)}`);
    assert.match(error.table, /Findings$/);
    assert.equal(error.operation, 'upsertFromRun');
    assert.equal(error.statusCode, undefined, 'no response arrived');
    assert.match(error.code ?? '', /^(ECONNREFUSED|ECONNRESET|EPIPE)$/);
    return true;
  });
  await azurite.kill();
  await failure;
  const down = await store.ping();
  assert.equal(down.reachable, false);
  assert.equal(down.reachable === false && down.error.code, 'ECONNREFUSED');
  await assert.rejects(store.audit.list(), (error: unknown) => error instanceof StateStoreError && error.operation === 'list' && /Audit$/.test(error.table));

  await azurite.restart();

  assert.equal(await store.findings.get(before.id), undefined, 'in-memory storage came back empty');
  const appended = await store.audit.append({
    at: minute(2),
    kind: 'decision',
    dryRun: true,
    outcome: 'would-alert',
    reason: 'after restart',
    policyHash: 'sha256:p',
    actor: 'bot',
    target: roleAssignmentId('ra-before-crash'),
    requestIds: [],
    runId: 'run-after-restart',
  });
  assert.deepEqual((await store.audit.list()).map((record) => record.id), [appended.id]);
  assert.deepEqual(await store.events.claim('evt-after-restart', minute(2)), { claimed: true, attempt: 1 });
  assert.equal((await store.ping()).reachable, true);
});

test('an Azurite that cannot start is a clear error carrying its output, not a hang', async () => {
  await azurite.stop();
  const tablePort = Number(new URL(azurite.tableEndpoint).port);
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(tablePort, '127.0.0.1', resolve));
  try {
    await assert.rejects(azurite.restart(), /Azurite did not start: the process exited[\s\S]*EADDRINUSE/);
  } finally {
    await new Promise((resolve) => squatter.close(resolve));
  }
  await azurite.restart();
  assert.equal((await openTestStore(azurite).then((store) => store.ping())).reachable, true);
});
