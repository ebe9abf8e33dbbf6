import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { generateTenant } from '../../emulator/seed/generate.ts';
import { createAzureClients } from '../../src/azure/clients.ts';
import { loadAzureConfig } from '../../src/azure/config.ts';
import { Directory } from '../../src/azure/directory.ts';
import { AzureApiError } from '../../src/azure/errors.ts';
import { collect } from '../../src/azure/graph-paging.ts';
import { CLIENT_TIMEOUT } from '../../src/azure/timeout.ts';
import { ROLE_ASSIGNMENTS_QUERY } from '../../src/inventory/queries.ts';
import { roleAssignmentRow } from '../../src/inventory/records.ts';
import { queryResourceGraph } from '../../src/inventory/resource-graph.ts';
import { useEmulator } from '../support/emulator.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const TIMEOUT_MS = 1_000;
// 1,000 role assignments: one Resource Graph page of about 800 kB.
const emulator = await useEmulator({ seed: generateTenant({ roleAssignments: 1_000, identities: 500, subscriptions: 5, seed: 3 }).seed });
const clients = createAzureClients(loadAzureConfig({ ...emulator.env, IDWARDEN_AZURE_REQUEST_TIMEOUT_MS: String(TIMEOUT_MS) }));
const roleAssignments = () => collect(queryResourceGraph(clients, ROLE_ASSIGNMENTS_QUERY, { tenant: true }, roleAssignmentRow, 'authorizationresources.roleAssignments'));
const heapMb = () => {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

test("a Resource Graph request's time bound ends with the request: nothing keeps its answer alive until the bound would have fired", async () => {
  await roleAssignments();
  const before = heapMb();
  for (let i = 0; i < 10; i += 1) assert.equal((await roleAssignments()).length, 1_000);
  const grown = heapMb() - before;
  // Ten pages kept alive would be 15 MB and more (the page's text and its parsed rows).
  assert.ok(grown < 5, `the heap grew by ${grown.toFixed(1)} MB over ten answered queries`);
});

test('a Resource Graph answer slower than the bound is a ClientTimeout, not a wait', async () => {
  const rule = emulator.core.faults.add({ route: 'resourceGraph.resources', latencyMs: TIMEOUT_MS + 500, times: 1 });
  try {
    await assert.rejects(roleAssignments(), (error: unknown) => error instanceof AzureApiError && error.code === CLIENT_TIMEOUT);
  } finally {
    emulator.core.faults.remove(rule);
  }
});

test("each Graph attempt gets its own bound: a retry is not cut short by the earlier attempt's timer", async () => {
  const slow = TIMEOUT_MS * 0.8;
  const throttled = { status: 429, headers: { 'Retry-After': '0' }, body: { error: { code: 'TooManyRequests', message: 'injected' } } };
  const rules = [
    emulator.core.faults.add({ route: 'graph.directoryObjects.getByIds', latencyMs: slow, times: 1, response: throttled }),
    emulator.core.faults.add({ route: 'graph.directoryObjects.getByIds', latencyMs: slow, times: 1 }),
  ];
  try {
    // Two attempts of 0.8 bound each: together past one bound, each within its own.
    const { found, failed } = await new Directory(clients).resolvePrincipals([emulator.core.tenant.bot.principalId]);
    assert.deepEqual(failed.map(({ error }) => String(error)), []);
    assert.equal(found.size, 1);
    assert.deepEqual(rules.map((rule) => emulator.core.faults.counts()[rule]), [1, 1], 'answered on the second attempt');
  } finally {
    for (const rule of rules) emulator.core.faults.remove(rule);
  }
});
