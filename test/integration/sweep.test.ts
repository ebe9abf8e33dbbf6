import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEmulator } from '../support/emulator.ts';
import { DEMO_SEED } from '../../emulator/index.ts';
import { createAzureClients } from '../../src/azure/clients.ts';
import { loadAzureConfig } from '../../src/azure/config.ts';
import { parsePolicy } from '../../src/policy/load.ts';
import { runSweep } from '../../src/pipeline/sweep.ts';
import type { Finding } from '../../src/model/finding.ts';

const emulator = await useEmulator({ seed: DEMO_SEED });
const clients = createAzureClients(loadAzureConfig(emulator.env));
const policy = parsePolicy('version: 1\n', 'test');
const asOf = new Date('2026-11-20T12:00:00Z');
const orphans = (findings: Finding[]) => findings.filter((f) => f.ruleId === 'orphaned-role-assignment');

test('a clean sweep of the demo tenant finds the orphaned assignments', async () => {
  const { findings, report } = await runSweep(clients, policy, { asOf });
  assert.equal(orphans(findings).length, 4);
  assert.equal(report.stats.incomplete, false);
});

test('when Graph refuses the principal lookup (403), no orphan is reported and the report names the gap', async () => {
  const fault = emulator.core.faults.add({
    route: 'graph.directoryObjects.getByIds',
    response: { status: 403, body: { error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' } } },
  });
  try {
    const { findings, report } = await runSweep(clients, policy, { asOf });
    assert.deepEqual(orphans(findings), []);
    assert.equal(report.stats.incomplete, true);
    const gap = report.gaps.find((g) => g.area === 'principals');
    assert.equal(gap?.statusCode, 403);
    assert.ok(findings.some((f) => f.ruleId === 'privileged-role-broad-scope'), 'rules that do not need the lookup still judge');
  } finally {
    emulator.core.faults.remove(fault);
  }
});

test('when Graph keeps answering 429, the sweep gives up on that lookup after its retries and reports no orphan', async () => {
  const fault = emulator.core.faults.add({
    route: 'graph.deletedItems.list',
    response: { status: 429, headers: { 'retry-after': '0' }, body: { error: { code: 'TooManyRequests', message: 'Please retry again later.' } } },
  });
  try {
    const { findings, report } = await runSweep(clients, policy, { asOf });
    assert.deepEqual(orphans(findings).filter((f) => f.evidence['principalState'] !== 'soft-deleted'), []);
    assert.equal(report.gaps.find((g) => g.area === 'principals')?.statusCode, 429);
    assert.ok(emulator.core.faults.counts()[fault]! >= 2, 'the client retried before giving up');
  } finally {
    emulator.core.faults.remove(fault);
  }
});

test('a sweep scoped to a management group reads and judges only what is below it', async () => {
  const nonProd = '5b000002-0000-4000-8000-000000000002';
  const { snapshot, findings } = await runSweep(clients, policy, { asOf, managementGroup: 'mg-nonprod' });
  assert.deepEqual(snapshot.subscriptions.map((s) => s.subscriptionId), [nonProd]);
  assert.ok(findings.length > 0);
  for (const finding of findings) {
    if (finding.subscriptionId) assert.equal(finding.subscriptionId.toLowerCase(), nonProd, `${finding.ruleId} ${finding.scope}`);
  }
});
