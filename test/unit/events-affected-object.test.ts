import { test } from 'node:test';
import assert from 'node:assert/strict';
import { affectedObject, resourceTypeOfId } from '../../src/events/affected-object.ts';
import type { ArmEvent } from '../../src/events/schema.ts';
import { SUB_PROD, TENANT_ID, UAMI_ID, WEB_APP_ID } from '../support/ids.ts';

const GUID = '5d0b7c3e-2f1a-4e55-8a44-0c2b6a9f1e77';
const RG = `/subscriptions/${SUB_PROD}/resourceGroups/rg-app`;

function event(operationName: string, resourceUri: string, overrides: Partial<ArmEvent> = {}): ArmEvent {
  const verb = operationName.split('/').pop()!;
  return {
    id: 'e1',
    eventType: `Microsoft.Resources.Resource${verb[0]!.toUpperCase()}${verb.slice(1)}Success`,
    subject: resourceUri,
    resourceUri,
    operationName,
    status: 'Succeeded',
    subscriptionId: SUB_PROD,
    tenantId: TENANT_ID,
    eventTime: '2026-11-20T10:15:22.1234567Z',
    correlationId: null,
    callerPrincipalId: null,
    callerAppId: null,
    httpMethod: null,
    schema: 'EventGridSchema',
    ...overrides,
  };
}

test('role assignments at every scope Azure publishes events for, written and deleted', () => {
  for (const scope of [`/subscriptions/${SUB_PROD}`, RG, WEB_APP_ID]) {
    const id = `${scope}/providers/Microsoft.Authorization/roleAssignments/${GUID}`;
    assert.deepEqual(affectedObject(event('Microsoft.Authorization/roleAssignments/write', id)), { kind: 'roleAssignment', id, change: 'write' });
    assert.deepEqual(affectedObject(event('Microsoft.Authorization/roleAssignments/delete', id)), { kind: 'roleAssignment', id, change: 'delete' });
  }
});

test('role definitions, user-assigned identities and identity holders', () => {
  const role = `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleDefinitions/${GUID}`;
  assert.deepEqual(affectedObject(event('Microsoft.Authorization/roleDefinitions/write', role)), { kind: 'roleDefinition', id: role, change: 'write' });
  assert.deepEqual(affectedObject(event('Microsoft.ManagedIdentity/userAssignedIdentities/delete', UAMI_ID)), { kind: 'userAssignedIdentity', id: UAMI_ID, change: 'delete' });
  assert.deepEqual(affectedObject(event('Microsoft.Web/sites/write', WEB_APP_ID)), { kind: 'identityHolder', id: WEB_APP_ID, change: 'write' });
  const slot = `${WEB_APP_ID}/slots/staging`;
  assert.deepEqual(affectedObject(event('Microsoft.Web/sites/slots/write', slot)), { kind: 'identityHolder', id: slot, change: 'write' });
});

test('the id is taken from resourceUri with doubled slashes collapsed, casing kept', () => {
  const id = `/subscriptions/${SUB_PROD}/resourcegroups/rg-app/providers/microsoft.web/sites/app1`;
  assert.deepEqual(affectedObject(event('microsoft.web/sites/write', `/${id}`)), { kind: 'identityHolder', id, change: 'write' });
});

test('ignored: an operation not watched, one that did not succeed, an event type that does not fit the operation', () => {
  assert.deepEqual(affectedObject(event('Microsoft.Storage/storageAccounts/write', `${RG}/providers/Microsoft.Storage/storageAccounts/st1`)), {
    kind: 'ignored',
    reason: 'operation Microsoft.Storage/storageAccounts/write is not watched',
  });
  const failed = affectedObject(event('Microsoft.Web/sites/write', WEB_APP_ID, { eventType: 'Microsoft.Resources.ResourceWriteFailure', status: 'Failed' }));
  assert.deepEqual(failed, { kind: 'ignored', reason: 'the operation did not succeed (Microsoft.Resources.ResourceWriteFailure, status Failed)' });
  const canceled = affectedObject(event('Microsoft.Web/sites/write', WEB_APP_ID, { status: 'Canceled' }));
  assert.equal(canceled.kind, 'ignored');
  const mismatched = affectedObject(event('Microsoft.Web/sites/write', WEB_APP_ID, { eventType: 'Microsoft.Resources.ResourceDeleteSuccess' }));
  assert.deepEqual(mismatched, { kind: 'ignored', reason: 'Microsoft.Resources.ResourceDeleteSuccess does not match operation Microsoft.Web/sites/write' });
});

test('ignored: ARM ids that do not name an object of the operation’s kind', () => {
  const cases: [string, string, RegExp][] = [
    ['Microsoft.Authorization/roleAssignments/write', `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleAssignments/not-a-guid`, /does not end in a GUID/],
    ['Microsoft.Authorization/roleAssignments/write', `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleDefinitions/${GUID}`, /is not a roleAssignment id/],
    ['Microsoft.Authorization/roleAssignments/write', `/nonsense/x/providers/Microsoft.Authorization/roleAssignments/${GUID}`, /has no valid scope/],
    ['Microsoft.ManagedIdentity/userAssignedIdentities/write', `/subscriptions/${SUB_PROD}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/x`, /is not a resource id in a resource group/],
    ['Microsoft.Web/sites/write', `${RG}/providers/Microsoft.Compute/virtualMachines/vm1`, /names a Microsoft\.Compute\/virtualMachines, not a Microsoft\.Web\/sites/],
    ['Microsoft.Web/sites/write', '{resource-uri}', /is not a resource id/],
  ];
  for (const [operationName, id, reason] of cases) {
    const object = affectedObject(event(operationName, id));
    assert.equal(object.kind, 'ignored', id);
    assert.match((object as { reason: string }).reason, reason, id);
  }
});

test('resourceTypeOfId reads the type from the last provider segment', () => {
  assert.equal(resourceTypeOfId(`${WEB_APP_ID}/slots/staging`), 'Microsoft.Web/sites/slots');
  assert.equal(resourceTypeOfId(`${WEB_APP_ID}/providers/Microsoft.Authorization/roleAssignments/${GUID}`), 'Microsoft.Authorization/roleAssignments');
  assert.equal(resourceTypeOfId(RG), null);
  assert.equal(resourceTypeOfId(`${RG}/providers/Microsoft.Web/sites`), null);
});
