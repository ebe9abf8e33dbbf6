import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import azureFunctions from '@azure/functions';
import { useEmulator } from '../support/emulator.ts';
import { useAzurite } from '../support/azurite.ts';
import { loadFunctionsApp, invocationContext } from '../support/functions-host.ts';
import { smallTenant } from '../support/seeds.ts';
import { BOT_PRINCIPAL, SUB_PROD, UAMI_PRINCIPAL } from '../support/ids.ts';
import { sharedRuntime } from '../../src/runtime/runtime.ts';

const base = smallTenant();
const broad = ['Owner', 'User Access Administrator', 'Role Based Access Control Administrator'].map((role, index) => ({
  name: `b0d9e700-0000-4000-8000-00000000000${index}`,
  scope: `/subscriptions/${SUB_PROD}`,
  role,
  principalId: UAMI_PRINCIPAL,
}));
const emulator = await useEmulator({
  seed: {
    ...base,
    roleAssignments: [...(base.roleAssignments ?? []), ...broad, { scope: `/subscriptions/${SUB_PROD}`, role: 'Role Based Access Control Administrator', principalId: BOT_PRINCIPAL }],
  },
});
const azurite = await useAzurite();
const policyFile = join(mkdtempSync(join(tmpdir(), 'idwarden-')), 'policy.yaml');
writeFileSync(policyFile, 'version: 1\nenforcement: enforce\nrules:\n  privileged-role-broad-scope: { action: remediate, remediation: remove }\nguardrails: { maxRemediationsPerRun: 1 }\n');
Object.assign(process.env, emulator.env, { IDWARDEN_STORAGE_CONNECTION_STRING: azurite.connectionString, IDWARDEN_POLICY_FILE: policyFile, IDWARDEN_TABLE_PREFIX: `budget${process.pid}` });
const functions = await loadFunctionsApp();

test('one delivery is one run for the circuit breaker: three broad assignments in one batch, one removed, the rest refused and audited', async () => {
  const ids = broad.map((assignment) => `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleAssignments/${assignment.name}`);
  const events = ids.map((id, index) => ({
    id: `e0000000-0000-4000-8000-00000000000${index}`,
    topic: `/subscriptions/${SUB_PROD}`,
    subject: id,
    eventType: 'Microsoft.Resources.ResourceWriteSuccess',
    eventTime: new Date().toISOString(),
    data: { operationName: 'Microsoft.Authorization/roleAssignments/write', resourceUri: id, status: 'Succeeded', subscriptionId: SUB_PROD, tenantId: emulator.core.tenant.tenantId, authorization: {}, claims: {} },
    dataVersion: '2',
    metadataVersion: '1',
  }));
  const request = new azureFunctions.HttpRequest({ method: 'POST', url: 'https://idwarden.example/api/events', body: { string: JSON.stringify(events) } });
  const response = (await functions.get('eventGridWebhook')!.handler(request, invocationContext('eventGridWebhook').context)) as { status: number };
  assert.equal(response.status, 200);
  const remaining = ids.filter((id) => emulator.core.tenant.roleAssignment(id));
  assert.equal(remaining.length, 2, 'exactly one remediation in the delivery');
  const audit = await (await sharedRuntime()).state.audit.list();
  assert.equal(audit.filter((record) => record.outcome === 'deleted').length, 1);
  assert.ok(audit.some((record) => record.outcome === 'circuit-breaker-tripped'), 'the breaker is on record');
});
