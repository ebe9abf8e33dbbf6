import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ZodError } from 'zod';
import { EVENT_GRID_FILTER_VALUE_LIMIT, isWatched, parseOperationName, parseWatchedOperations, watchedOperation, watchedOperations } from '../../src/events/watched-operations.ts';

const FILE = new URL('../../infra/data/watched-operations.json', import.meta.url);
const document = () => JSON.parse(readFileSync(FILE, 'utf8'));
const VALID_OPERATION = /^[A-Za-z]+(\.[A-Za-z0-9]+)+(\/[A-Za-z0-9]+)+\/(write|delete|action)$/;

/** The problems a document is refused with, as "path: message". */
function problemsOf(candidate: unknown): string[] {
  try {
    parseWatchedOperations(candidate);
  } catch (error) {
    if (error instanceof ZodError) return error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw error;
  }
  return assert.fail('the document was accepted');
}

test(`the shipped list fits Event Grid's ${EVENT_GRID_FILTER_VALUE_LIMIT} advanced-filter values, each a valid Provider/type/verb operation`, () => {
  const { operations } = document();
  assert.ok(operations.length <= EVENT_GRID_FILTER_VALUE_LIMIT, `${operations.length} operations`);
  for (const { operationName } of operations) assert.match(operationName, VALID_OPERATION);
  assert.equal(new Set(operations.map((operation: { operationName: string }) => operation.operationName.toLowerCase())).size, operations.length, 'no duplicates');
  assert.equal(watchedOperations.length, operations.length, 'the module loads every entry');
});

test('the list covers role assignments, role definitions and user-assigned identities both ways, and identity holders on write', () => {
  for (const type of ['Microsoft.Authorization/roleAssignments', 'Microsoft.Authorization/roleDefinitions', 'Microsoft.ManagedIdentity/userAssignedIdentities']) {
    for (const verb of ['write', 'delete']) assert.ok(isWatched(`${type}/${verb}`), `${type}/${verb}`);
  }
  for (const holder of ['Microsoft.Web/sites', 'Microsoft.Compute/virtualMachines', 'Microsoft.ContainerService/managedClusters', 'Microsoft.Logic/workflows', 'Microsoft.App/containerApps']) {
    assert.equal(watchedOperation(`${holder}/write`)?.objectKind, 'identityHolder', holder);
  }
  assert.equal(isWatched('Microsoft.Storage/storageAccounts/write'), false, 'deliberately left to the sweep');
});

test('lookups are case-insensitive, as Event Grid filters compare', () => {
  assert.equal(watchedOperation('microsoft.authorization/ROLEASSIGNMENTS/write')?.objectKind, 'roleAssignment');
  assert.deepEqual(
    { type: watchedOperation('Microsoft.Web/sites/slots/write')?.resourceType, verb: watchedOperation('Microsoft.Web/sites/slots/write')?.verb },
    { type: 'Microsoft.Web/sites/slots', verb: 'write' },
  );
  assert.equal(isWatched('Microsoft.Resources/deployments/write'), false);
});

test('parseOperationName splits type and verb and refuses what is not an operation', () => {
  assert.deepEqual(parseOperationName('Microsoft.Web/sites/restart/action'), { resourceType: 'Microsoft.Web/sites/restart', verb: 'action' });
  for (const bad of ['Microsoft.Web/write', 'roleAssignments/write', 'Microsoft.Web/sites/read', 'Microsoft.Web/sites/*/write', 'Microsoft.Web/sites/write ']) {
    assert.equal(parseOperationName(bad), null, bad);
  }
});

test('a list over the limit is refused', () => {
  const file = document();
  const extra = Array.from({ length: EVENT_GRID_FILTER_VALUE_LIMIT + 1 - file.operations.length }, (_, index) => ({
    operationName: `Contoso.Widgets/gadget${index}/write`,
    eventTypes: ['Microsoft.Resources.ResourceWriteSuccess'],
    objectKind: 'identityHolder',
    why: 'padding',
  }));
  assert.deepEqual(problemsOf({ ...file, operations: [...file.operations, ...extra] }), [`operations: Event Grid allows at most ${EVENT_GRID_FILTER_VALUE_LIMIT} advanced-filter values`]);
});

test('every wrong entry is named: bad name, wrong event type, kind on the wrong type, duplicates, actions', () => {
  const entry = (operationName: string, objectKind = 'identityHolder', eventTypes = ['Microsoft.Resources.ResourceWriteSuccess']) => ({ operationName, eventTypes, objectKind, why: 'test' });
  const problems = problemsOf({
    description: 'test',
    operations: [
      entry('Microsoft.Web/sites'),
      entry('Microsoft.Web/sites/delete'),
      entry('Microsoft.Web/sites/write', 'roleAssignment'),
      entry('Microsoft.Authorization/roleDefinitions/write'),
      entry('Microsoft.App/containerApps/write'),
      entry('microsoft.app/CONTAINERAPPS/write'),
      entry('Microsoft.Web/sites/restart/action', 'identityHolder', ['Microsoft.Resources.ResourceActionSuccess']),
    ],
  });
  assert.deepEqual(problems, [
    'operations.0.operationName: expected Namespace/type/write, /delete or /action, e.g. Microsoft.Web/sites/write',
    'operations.1.eventTypes: a delete operation is published as Microsoft.Resources.ResourceDeleteSuccess only',
    'operations.2.objectKind: roleAssignment operations are on microsoft.authorization/roleassignments, not Microsoft.Web/sites',
    'operations.3.objectKind: Microsoft.Authorization/roleDefinitions has its own object kind',
    'operations.5.operationName: microsoft.app/CONTAINERAPPS/write is listed twice (Event Grid compares case-insensitively)',
    'operations.6.operationName: actions change no identity or role assignment: watch writes and deletes',
  ]);
});
