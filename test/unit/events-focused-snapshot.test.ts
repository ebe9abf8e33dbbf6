import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JudgeableObject } from '../../src/events/affected-object.ts';
import { focusedSnapshot, relevantRules, rulesResolvedWhenGone } from '../../src/events/focused-snapshot.ts';
import type { FocusedFacts } from '../../src/events/live-reader.ts';
import type { ArmEvent } from '../../src/events/schema.ts';
import type { Snapshot, UserAssignedIdentityRecord } from '../../src/model/snapshot.ts';
import { loadPolicyFile } from '../../src/policy/load.ts';
import { enabledRules, workloadKinds } from '../../src/policy/rule-settings.ts';
import { evaluateRules } from '../../src/rules/evaluate.ts';
import { RULE_IDS } from '../../src/rules/rule.ts';
import { builtInRoleId, builtInRoles } from '../support/snapshot-builder.ts';
import { SUB_PROD, TENANT_ID, UAMI_CLIENT, UAMI_ID, UAMI_PRINCIPAL, WEB_APP_ID } from '../support/ids.ts';

const AS_OF = new Date('2026-11-20T12:00:00Z');
const policy = loadPolicyFile(new URL('../../src/policy/default-policy.yaml', import.meta.url).pathname).policy;
const ASSIGNMENT_ID = `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleAssignments/5d0b7c3e-2f1a-4e55-8a44-0c2b6a9f1e77`;

const event = (overrides: Partial<ArmEvent> = {}): ArmEvent => ({
  id: 'e1',
  eventType: 'Microsoft.Resources.ResourceWriteSuccess',
  subject: ASSIGNMENT_ID,
  resourceUri: ASSIGNMENT_ID,
  operationName: 'Microsoft.Authorization/roleAssignments/write',
  status: 'Succeeded',
  subscriptionId: SUB_PROD,
  tenantId: TENANT_ID,
  eventTime: '2026-11-20T11:59:00.1234567Z',
  correlationId: null,
  callerPrincipalId: null,
  callerAppId: null,
  httpMethod: null,
  schema: 'EventGridSchema',
  ...overrides,
});

/** A user-assigned identity created long ago, attached to nothing, never signed in, holding Contributor at the subscription. */
const oldIdentity: UserAssignedIdentityRecord = {
  id: UAMI_ID,
  name: 'uami-app',
  subscriptionId: SUB_PROD,
  resourceGroup: 'rg-app',
  location: 'westeurope',
  principalId: UAMI_PRINCIPAL,
  clientId: UAMI_CLIENT,
  createdAt: '2026-01-01T00:00:00Z',
  tags: {},
};

const facts = (): FocusedFacts => ({
  roleAssignments: [
    {
      id: ASSIGNMENT_ID,
      name: '5d0b7c3e-2f1a-4e55-8a44-0c2b6a9f1e77',
      scope: `/subscriptions/${SUB_PROD}`,
      roleDefinitionId: `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleDefinitions/${builtInRoleId('Contributor')}`,
      principalId: UAMI_PRINCIPAL,
      principalType: 'ServicePrincipal',
      condition: null,
      createdOn: '2026-01-01T00:00:00Z',
      createdBy: null,
    },
  ],
  roleDefinitions: builtInRoles().filter((role) => role.roleName === 'Contributor'),
  principals: {},
  userAssignedIdentities: [oldIdentity],
  identityHolders: [],
  subscriptions: [{ subscriptionId: SUB_PROD, displayName: 'prod', managementGroupChain: ['mg-prod'] }],
  failures: [],
});

const object = (kind: JudgeableObject['kind'], id: string): JudgeableObject => ({ kind, id, change: 'write' });
const firedRules = (snapshot: Snapshot) =>
  new Set(evaluateRules(snapshot, enabledRules(policy), { asOf: AS_OF, tenantId: TENANT_ID, workloadKinds: workloadKinds(policy) }).findings.map((finding) => finding.ruleId));

test('relevant rules per object kind', () => {
  assert.deepEqual(relevantRules('roleAssignment'), ['privileged-role-broad-scope', 'unconstrained-role-delegation', 'custom-role-wildcard', 'orphaned-role-assignment']);
  assert.deepEqual(relevantRules('roleDefinition'), ['privileged-role-broad-scope', 'unconstrained-role-delegation', 'custom-role-wildcard']);
  assert.deepEqual(relevantRules('userAssignedIdentity'), ['new-identity']);
  assert.deepEqual(relevantRules('identityHolder'), ['new-identity']);
});

test('a gone assignment resolves every rule; a gone identity all but orphaned-identity-principal, which reports exactly that', () => {
  assert.deepEqual(rulesResolvedWhenGone('roleAssignment'), RULE_IDS);
  assert.deepEqual(rulesResolvedWhenGone('userAssignedIdentity'), RULE_IDS.filter((id) => id !== 'orphaned-identity-principal'));
  assert.deepEqual(rulesResolvedWhenGone('identityHolder'), rulesResolvedWhenGone('userAssignedIdentity'));
});

test('the focused snapshot marks every area unread, so rules that need a full inventory stay silent even with every rule enabled', () => {
  const snapshot = focusedSnapshot(facts(), { tenantId: TENANT_ID, takenAt: AS_OF, event: event(), object: object('roleAssignment', ASSIGNMENT_ID) });
  const fired = firedRules(snapshot);
  assert.ok(fired.has('privileged-role-broad-scope'), 'what was read is still judged');
  for (const silent of ['unattached-user-assigned-identity', 'orphaned-identity-principal', 'stale-identity']) assert.equal(fired.has(silent), false, silent);
  assert.deepEqual(new Set(snapshot.gaps.map((gap) => gap.area)).size, 10);
  assert.equal(snapshot.lastSignIns, null);

  // The same facts as a complete inventory would give: the full-inventory rules do fire, so the gaps are what silence them.
  const complete: Snapshot = { ...snapshot, gaps: [], lastSignIns: {} };
  const firedWhenComplete = firedRules(complete);
  assert.ok(firedWhenComplete.has('unattached-user-assigned-identity'));
  assert.ok(firedWhenComplete.has('stale-identity'));
});

test('lookup failures are kept as gaps next to the unread areas', () => {
  const withFailure = { ...facts(), failures: [{ area: 'principals' as const, reason: 'Graph said 503', statusCode: 503 }] };
  const snapshot = focusedSnapshot(withFailure, { tenantId: TENANT_ID, takenAt: AS_OF, event: event(), object: object('roleAssignment', ASSIGNMENT_ID) });
  assert.deepEqual(snapshot.gaps.at(-1), { area: 'principals', reason: 'Graph said 503', statusCode: 503 });
});

test('identities read from ARM stand as managed-identity principals', () => {
  const snapshot = focusedSnapshot(facts(), { tenantId: TENANT_ID, takenAt: AS_OF, event: event(), object: object('roleAssignment', ASSIGNMENT_ID) });
  assert.deepEqual(snapshot.managedIdentityPrincipals, [
    { id: UAMI_PRINCIPAL, kind: 'managedIdentity', displayName: 'uami-app', appId: UAMI_CLIENT, managedIdentityResourceId: UAMI_ID, managedIdentityType: 'userAssigned' },
  ]);
});

test('creation time: ARM systemData first; else the event time for a write that created a user-assigned identity, never for an update', () => {
  const uaiObject = object('userAssignedIdentity', UAMI_ID);
  const unknownAge = { ...facts(), userAssignedIdentities: [{ ...oldIdentity, createdAt: null }] };
  const createdBy = (facts: FocusedFacts, httpMethod: string | null) =>
    focusedSnapshot(facts, { tenantId: TENANT_ID, takenAt: AS_OF, event: event({ httpMethod }), object: uaiObject }).userAssignedIdentities[0]!.createdAt;
  assert.equal(createdBy(facts(), null), '2026-01-01T00:00:00Z');
  assert.equal(createdBy(unknownAge, null), '2026-11-20T11:59:00.1234567Z');
  assert.equal(createdBy(unknownAge, 'PATCH'), null);
});

test('a system-assigned identity without a recorded time is as new as the write that reports it', () => {
  const holder = { id: WEB_APP_ID, name: 'app1', type: 'Microsoft.Web/sites', subscriptionId: SUB_PROD, resourceGroup: 'rg-app', systemAssignedPrincipalId: 'sa000000-0000-4000-8000-000000000001', userAssignedIdentityIds: [], createdAt: null };
  const snapshot = focusedSnapshot({ ...facts(), identityHolders: [holder] }, { tenantId: TENANT_ID, takenAt: AS_OF, event: event({ httpMethod: 'PUT' }), object: object('identityHolder', WEB_APP_ID) });
  assert.equal(snapshot.identityHolders[0]!.createdAt, '2026-11-20T11:59:00.1234567Z');
  assert.ok(firedRules(snapshot).has('new-identity'));
});
