import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import type { TokenCredential } from '@azure/identity';
import { loadAzureConfig } from '../../src/azure/config.ts';
import { createCredential } from '../../src/azure/credential.ts';
import { ARM_SCOPE, GRAPH_SCOPE, createAzureClients } from '../../src/azure/clients.ts';
import { AzureApiError, isAuthenticationFailure, isAuthorizationFailure, isNotFound, isThrottled } from '../../src/azure/errors.ts';
import { RoleAssignments } from '../../src/azure/role-assignments.ts';
import { Directory, GET_BY_IDS_BATCH } from '../../src/azure/directory.ts';
import { RETRY_LIMITS } from '../../src/azure/retry.ts';
import { useEmulator, tokenFor } from '../support/emulator.ts';
import { smallTenant } from '../support/seeds.ts';
import {
  APP_PRINCIPAL,
  BOT_CLIENT,
  BOT_PRINCIPAL,
  DELETED_PRINCIPAL,
  HUMAN_ADMIN,
  MG_PROD,
  SUB_DEV,
  SUB_PROD,
  TENANT_ID,
  UAMI_PRINCIPAL,
} from '../support/ids.ts';

/** A service principal deleted a week before the scan: still restorable, so not yet an orphan. */
const SOFT_DELETED = 'dead0000-0000-4000-8000-0000000005d1';
const NEVER_EXISTED = '0e0e0e0e-0000-4000-8000-000000000404';
const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
const DEV_RG = `/subscriptions/${SUB_DEV}/resourceGroups/rg-dev`;

const base = smallTenant();
const emulator = await useEmulator({
  seed: smallTenant({
    // Write access where the tests create and delete; prod stays read-only for the bot (the 403 tests).
    roleAssignments: [...(base.roleAssignments ?? []), { scope: `/subscriptions/${SUB_DEV}`, role: 'Role Based Access Control Administrator', principalId: BOT_PRINCIPAL }],
    deletedServicePrincipals: [{ id: SOFT_DELETED, displayName: 'old-app', deletedDateTime: '2026-11-16T00:00:00Z' }],
  }),
});

// The bot's configuration comes from the variables the emulator prints, exactly as a deployment would set them.
const config = loadAzureConfig(emulator.env);
const clients = createAzureClients(config);
const roleAssignments = new RoleAssignments(clients);
const directory = new Directory(clients);

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
const collect = async <T>(items: AsyncIterable<T>) => {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
};
/** A credential handing out one fixed token, for calls made as someone else or with a bad token. */
const fixedToken = (token: string): TokenCredential => ({ getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) });
/** A position in the emulator's request log, and the requests logged after it on paths matching `pattern`. */
const mark = () => emulator.core.requests.recent().length;
const requestsTo = (pattern: RegExp, since: number) => emulator.core.requests.recent().slice(since).filter((entry) => pattern.test(entry.path));

/** A lookup's first failed batch, as the error it carried. */
async function lookupFailure(directory: Directory, ids: string[]): Promise<void> {
  const { failed } = await directory.resolvePrincipals(ids);
  if (failed[0]) throw failed[0].error;
}

async function azureApiErrorOf(promise: Promise<unknown>): Promise<AzureApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AzureApiError) return error;
    throw error;
  }
  return assert.fail('the call succeeded');
}

test('the emulator variables configure managed-identity credentials against one local origin', () => {
  assert.equal(config.credential, 'managed-identity');
  assert.equal(config.armEndpoint, emulator.baseUrl);
  assert.equal(config.graphEndpoint, emulator.baseUrl);
  assert.equal(config.graphHost, '127.0.0.1');
});

test('the managed identity credential fetches the bot its ARM and Graph tokens (App Service endpoint)', async () => {
  const arm = await clients.credential.getToken(ARM_SCOPE);
  const graph = await clients.credential.getToken(GRAPH_SCOPE);
  assert.ok(arm && graph);
  assert.equal(claimsOf(arm.token).oid, BOT_PRINCIPAL);
  assert.equal(claimsOf(arm.token).aud, 'https://management.azure.com');
  assert.equal(claimsOf(graph.token).aud, 'https://graph.microsoft.com');
  assert.equal(claimsOf(graph.token).tid, TENANT_ID);
});

test('with AZURE_CLIENT_ID the credential asks for that user-assigned identity', async () => {
  const credential = createCredential(loadAzureConfig({ ...emulator.env, AZURE_CLIENT_ID: BOT_CLIENT }));
  const token = await credential.getToken(ARM_SCOPE);
  assert.equal(claimsOf(token!.token).appid, BOT_CLIENT);
  assert.equal(claimsOf(token!.token).oid, BOT_PRINCIPAL);
});

test('listForSubscription returns checked records for the subscription, below it and inherited from above', async () => {
  const assignments = await collect(roleAssignments.listForSubscription(SUB_PROD));
  const byPrincipal = new Map(assignments.map((assignment) => [assignment.principalId, assignment]));
  assert.deepEqual(new Set(byPrincipal.keys()), new Set([BOT_PRINCIPAL, HUMAN_ADMIN, UAMI_PRINCIPAL, DELETED_PRINCIPAL]));
  const contributor = byPrincipal.get(UAMI_PRINCIPAL)!;
  assert.equal(contributor.scope.toLowerCase(), `/subscriptions/${SUB_PROD}`);
  assert.match(contributor.roleDefinitionId, /b24988ac-6180-42a0-ab88-20f7382dd24c$/i);
  assert.equal(contributor.principalType, 'ServicePrincipal');
  assert.equal(contributor.createdOn, '2026-03-01T00:00:00.000Z');
  assert.equal(contributor.condition, null);
  assert.match(contributor.id, new RegExp(`/providers/Microsoft.Authorization/roleAssignments/${contributor.name}$`, 'i'));
  assert.equal(byPrincipal.get(BOT_PRINCIPAL)!.scope.toLowerCase(), `/providers/microsoft.management/managementgroups/${MG_PROD}`);
});

test('listForScope follows next links across pages and passes the filter', async () => {
  emulator.core.armPageSizes.roleAssignments = 1;
  try {
    const since = mark();
    const all = await collect(roleAssignments.listForScope(`/subscriptions/${SUB_PROD}`));
    assert.equal(all.length, 4);
    assert.equal(new Set(all.map((assignment) => assignment.id.toLowerCase())).size, 4, 'no assignment twice');
    assert.equal(requestsTo(/\/roleAssignments$/i, since).length, 4, 'one request per page');
    const atScope = await collect(roleAssignments.listForScope(`/subscriptions/${SUB_PROD}`, { filter: 'atScope()' }));
    assert.deepEqual(new Set(atScope.map((assignment) => assignment.principalId)), new Set([BOT_PRINCIPAL, HUMAN_ADMIN, UAMI_PRINCIPAL]), 'atScope() leaves out the resource group below');
    const mine = await collect(roleAssignments.listForScope(`/subscriptions/${SUB_PROD}`, { filter: `principalId eq '${UAMI_PRINCIPAL}'` }));
    assert.deepEqual(mine.map((assignment) => assignment.principalId), [UAMI_PRINCIPAL]);
  } finally {
    emulator.core.armPageSizes.roleAssignments = 100;
  }
});

test('create, get and deleteById a role assignment where the bot may write; deleting twice is not an error', async () => {
  const created = await roleAssignments.create(DEV_RG, {
    roleDefinitionId: `/subscriptions/${SUB_DEV}/providers/Microsoft.Authorization/roleDefinitions/${READER}`,
    principalId: APP_PRINCIPAL,
    principalType: 'ServicePrincipal',
  });
  assert.equal(created.principalId, APP_PRINCIPAL);
  assert.equal(created.scope.toLowerCase(), DEV_RG.toLowerCase());
  assert.ok(created.createdOn, 'ARM stamps createdOn');
  assert.equal(created.createdBy, BOT_PRINCIPAL);

  const reread = await roleAssignments.get(created.id);
  assert.equal(reread.id.toLowerCase(), created.id.toLowerCase());

  const deleted = await roleAssignments.deleteById(created.id);
  assert.equal(deleted?.id.toLowerCase(), created.id.toLowerCase());
  assert.equal(await roleAssignments.deleteById(created.id), undefined, 'already gone: ARM answers 204');

  const gone = await azureApiErrorOf(roleAssignments.get(created.id));
  assert.equal(isNotFound(gone), true);
  assert.equal(gone.code, 'RoleAssignmentNotFound');
  assert.equal(gone.subscriptionId, SUB_DEV);
  assert.equal(gone.target, created.id);
});

test('a write the bot holds no role for is 403 AuthorizationFailed with the request id, and no token in sight', async () => {
  const error = await azureApiErrorOf(
    roleAssignments.create(`/subscriptions/${SUB_PROD}`, {
      roleDefinitionId: `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleDefinitions/${READER}`,
      principalId: APP_PRINCIPAL,
      principalType: 'ServicePrincipal',
    }),
  );
  assert.equal(isAuthorizationFailure(error), true);
  assert.equal(error.statusCode, 403);
  assert.equal(error.code, 'AuthorizationFailed');
  assert.equal(error.service, 'arm');
  assert.equal(error.operation, 'roleAssignments.create');
  assert.equal(error.subscriptionId, SUB_PROD);
  assert.match(error.requestId ?? '', /^[0-9a-f-]{36}$/);
  assert.ok(error.correlationId);
  assert.ok(
    emulator.core.requests.recent().some((entry) => entry.requestId === error.requestId && entry.status === 403),
    'the request id is the one the emulator logged',
  );
  assert.doesNotMatch(`${error.message}\n${inspect(error, { depth: 10, showHidden: true })}\n${JSON.stringify(error)}`, /eyJ/);
});

test('an ARM call with a token for Microsoft Graph is 401 InvalidAuthenticationTokenAudience', async () => {
  const wrongAudience = createAzureClients(config, fixedToken(tokenFor(emulator, BOT_PRINCIPAL, 'https://graph.microsoft.com')));
  const error = await azureApiErrorOf(collect(new RoleAssignments(wrongAudience).listForScope(`/subscriptions/${SUB_PROD}`)));
  assert.equal(isAuthenticationFailure(error), true);
  assert.equal(error.code, 'InvalidAuthenticationTokenAudience');
  assert.ok(error.requestId);
});

test('an expired token is refused by ARM (ExpiredAuthenticationToken) and by Graph (InvalidAuthenticationToken)', async () => {
  const shortLived = fixedToken(tokenFor(emulator, BOT_PRINCIPAL, 'https://management.azure.com', 60));
  const shortLivedGraph = tokenFor(emulator, BOT_PRINCIPAL, 'https://graph.microsoft.com', 60);
  emulator.core.clock.advance(120_000);
  try {
    const arm = await azureApiErrorOf(collect(new RoleAssignments(createAzureClients(config, shortLived)).listForScope(`/subscriptions/${SUB_PROD}`)));
    assert.equal(arm.statusCode, 401);
    assert.equal(arm.code, 'ExpiredAuthenticationToken');
    const graph = await azureApiErrorOf(lookupFailure(new Directory(createAzureClients(config, fixedToken(shortLivedGraph))), [APP_PRINCIPAL]));
    assert.equal(graph.statusCode, 401);
    assert.equal(graph.code, 'InvalidAuthenticationToken');
    assert.equal(graph.service, 'graph');
  } finally {
    emulator.core.clock.advance(-120_000);
  }
});

test('ARM throttling: two 429s with Retry-After: 0 are retried and the list succeeds', async () => {
  const since = mark();
  const rule = emulator.core.faults.add({
    method: 'GET',
    path: '/providers/Microsoft\\.Authorization/roleAssignments$',
    times: 2,
    response: { status: 429, headers: { 'retry-after': '0' }, body: { error: { code: 'TooManyRequests', message: 'The request is being throttled.' } } },
  });
  try {
    const assignments = await collect(roleAssignments.listForSubscription(SUB_PROD));
    assert.equal(assignments.length, 4);
    assert.equal(emulator.core.faults.counts()[rule], 2);
    assert.equal(requestsTo(/\/roleAssignments$/i, since).length, 3, 'two throttled attempts and the one that succeeded');
  } finally {
    emulator.core.faults.remove(rule);
  }
});

test('ARM throttling that does not stop gives up after maxRetries with an isThrottled error', async () => {
  const rule = emulator.core.faults.add({
    method: 'GET',
    path: '/providers/Microsoft\\.Authorization/roleAssignments/',
    response: { status: 429, headers: { 'retry-after': '0' }, body: { error: { code: 'TooManyRequests', message: 'The request is being throttled.' } } },
  });
  try {
    const error = await azureApiErrorOf(roleAssignments.get(`/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleAssignments/${NEVER_EXISTED}`));
    assert.equal(isThrottled(error), true);
    assert.equal(error.code, 'TooManyRequests');
    assert.equal(emulator.core.faults.counts()[rule], 1 + RETRY_LIMITS.maxRetries);
  } finally {
    emulator.core.faults.remove(rule);
  }
});

test('resolvePrincipals tells present from absent, in bulk, as the bot', async () => {
  const since = mark();
  const { found, missing } = await directory.resolvePrincipals([BOT_PRINCIPAL, UAMI_PRINCIPAL, APP_PRINCIPAL, HUMAN_ADMIN, DELETED_PRINCIPAL, SOFT_DELETED, NEVER_EXISTED, APP_PRINCIPAL.toUpperCase()]);
  assert.deepEqual(new Set(found.keys()), new Set([BOT_PRINCIPAL, UAMI_PRINCIPAL, APP_PRINCIPAL, HUMAN_ADMIN]));
  assert.deepEqual(new Set(missing), new Set([DELETED_PRINCIPAL, SOFT_DELETED, NEVER_EXISTED]));
  const uami = found.get(UAMI_PRINCIPAL)!;
  assert.equal(uami.type, 'servicePrincipal');
  assert.equal(uami.servicePrincipalType, 'ManagedIdentity');
  assert.ok(uami.alternativeNames.some((name) => /userAssignedIdentities\/uami-app$/i.test(name)));
  assert.equal(found.get(HUMAN_ADMIN)!.type, 'user');
  const calls = requestsTo(/\/directoryObjects\/getByIds$/i, since);
  assert.equal(calls.length, 1);
  assert.equal(calls[0]!.principalId, BOT_PRINCIPAL, 'the Graph client sent the bot token to the configured host (customHosts)');
});

test('resolvePrincipals sends at most 1000 ids per getByIds request', async () => {
  const since = mark();
  const unknown = Array.from({ length: GET_BY_IDS_BATCH + 5 }, (_, index) => `0e0e0e0e-0000-4000-8000-${index.toString(16).padStart(12, '0')}`);
  const { found, missing } = await directory.resolvePrincipals([...unknown, APP_PRINCIPAL]);
  assert.deepEqual([...found.keys()], [APP_PRINCIPAL]);
  assert.equal(missing.length, GET_BY_IDS_BATCH + 5);
  assert.equal(requestsTo(/\/directoryObjects\/getByIds$/i, since).length, 2);
});

test('deletedServicePrincipals finds the soft-deleted principal and nothing else', async () => {
  const deleted = await directory.deletedServicePrincipals([SOFT_DELETED, DELETED_PRINCIPAL, NEVER_EXISTED]);
  assert.deepEqual([...deleted.keys()], [SOFT_DELETED]);
  assert.equal(deleted.get(SOFT_DELETED)!.displayName, 'old-app');
  assert.equal(deleted.get(SOFT_DELETED)!.deletedDateTime, '2026-11-16T00:00:00Z');
});

test('Graph throttling: two 429s with Retry-After: 0 are retried by the Graph client and the lookup succeeds', async () => {
  const rule = emulator.core.faults.add({
    method: 'POST',
    path: '/directoryObjects/getByIds$',
    times: 2,
    response: { status: 429, headers: { 'retry-after': '0' }, body: { error: { code: 'TooManyRequests', message: 'Please retry again later.' } } },
  });
  try {
    const { found } = await directory.resolvePrincipals([APP_PRINCIPAL]);
    assert.deepEqual([...found.keys()], [APP_PRINCIPAL]);
    assert.equal(emulator.core.faults.counts()[rule], 2);
  } finally {
    emulator.core.faults.remove(rule);
  }
});

test('a Graph call the caller has no permission for is 403 Authorization_RequestDenied with the request id', async () => {
  const asUami = new Directory(createAzureClients(config, fixedToken(tokenFor(emulator, UAMI_PRINCIPAL, 'https://graph.microsoft.com'))));
  const error = await azureApiErrorOf(lookupFailure(asUami, [APP_PRINCIPAL]));
  assert.equal(isAuthorizationFailure(error), true);
  assert.equal(error.code, 'Authorization_RequestDenied');
  assert.equal(error.operation, 'directoryObjects.getByIds');
  assert.match(error.requestId ?? '', /^[0-9a-f-]{36}$/);
});

test('Resource Graph: the client reaches the configured endpoint with an ARM token and retries 429 and 503 per Retry-After', async () => {
  const since = mark();
  const throttled = { headers: { 'retry-after': '0' }, body: { error: { code: 'RateLimiting', message: 'Please provide below info when asking for support.' } } };
  const rules = [
    emulator.core.faults.add({ path: '/providers/Microsoft\\.ResourceGraph/resources$', times: 1, response: { status: 429, ...throttled } }),
    emulator.core.faults.add({ path: '/providers/Microsoft\\.ResourceGraph/resources$', times: 1, response: { status: 503, ...throttled } }),
  ];
  try {
    const client = await clients.resourceGraph();
    const result = await client.resources({ subscriptions: [SUB_PROD], query: 'Resources | project id, type' });
    assert.ok((result.data as unknown[]).length > 0);
    assert.deepEqual(rules.map((rule) => emulator.core.faults.counts()[rule]), [1, 1]);
    const calls = requestsTo(/\/providers\/Microsoft\.ResourceGraph\/resources$/i, since);
    assert.equal(calls.length, 3);
    assert.equal(calls[2]!.principalId, BOT_PRINCIPAL);
  } finally {
    rules.forEach((rule) => emulator.core.faults.remove(rule));
  }
});
