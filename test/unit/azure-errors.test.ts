import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { CredentialUnavailableError } from '@azure/identity';
import { GraphError } from '@microsoft/microsoft-graph-client';
// The SDKs' own error classes, from the pipelines the ARM and Resource Graph clients are built on.
import { RestError, createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import { RestError as MsRestError, WebResource, HttpHeaders } from '@azure/ms-rest-js';
import {
  AzureApiError,
  isAuthenticationFailure,
  isAuthorizationFailure,
  isNotFound,
  isThrottled,
  scrubSecrets,
  toAzureApiError,
} from '../../src/azure/errors.ts';

const TOKEN = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJvaWQiOiJib3QifQ.c2lnbmF0dXJlLXNlY3JldA';
const SUB = '11111111-1111-4111-8111-111111111111';

/** Every way an error might reach a log. */
function everyRendering(error: Error): string {
  return [error.message, error.stack, inspect(error, { depth: 10, showHidden: true }), JSON.stringify(error), inspect(error.cause, { depth: 10, showHidden: true })].join('\n');
}

test('an ARM RestError becomes an AzureApiError with status, ARM code and request ids, and no token anywhere', () => {
  const request = createPipelineRequest({ url: `https://management.azure.com/subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignments/x`, method: 'PUT' });
  request.headers.set('authorization', `Bearer ${TOKEN}`);
  const response = {
    status: 403,
    request,
    headers: createHttpHeaders({ 'x-ms-request-id': 'req-1', 'x-ms-correlation-request-id': 'corr-1' }),
    bodyAsText: '{"error":{"code":"AuthorizationFailed","message":"denied"}}',
  };
  const sdkError = new RestError("The client 'bot' does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write'.", {
    code: 'AuthorizationFailed',
    statusCode: 403,
    request,
    response,
  });
  const error = toAzureApiError(sdkError, { service: 'arm', operation: 'roleAssignments.create', subscriptionId: SUB, target: '/subscriptions/x' });
  assert.ok(error instanceof AzureApiError);
  assert.equal(error.name, 'AzureApiError');
  assert.deepEqual(
    { service: error.service, operation: error.operation, statusCode: error.statusCode, code: error.code, requestId: error.requestId, correlationId: error.correlationId, subscriptionId: error.subscriptionId, target: error.target },
    { service: 'arm', operation: 'roleAssignments.create', statusCode: 403, code: 'AuthorizationFailed', requestId: 'req-1', correlationId: 'corr-1', subscriptionId: SUB, target: '/subscriptions/x' },
  );
  assert.match(error.message, /^ARM roleAssignments\.create failed with 403 AuthorizationFailed: The client 'bot' .* \(request id req-1\)$/);
  assert.equal(isAuthorizationFailure(error), true);
  assert.equal(isNotFound(error), false);
  assert.equal((error.cause as { statusCode?: number }).statusCode, 403);
  assert.doesNotMatch(everyRendering(error), /eyJ|c2lnbmF0dXJl/);
});

test('an ms-rest-js RestError (Resource Graph) keeps its request enumerable: none of it reaches the AzureApiError', () => {
  const request = new WebResource('https://management.azure.com/providers/Microsoft.ResourceGraph/resources', 'POST');
  request.headers.set('authorization', `Bearer ${TOKEN}`);
  const sdkError = new MsRestError('Rate limit exceeded', 'RateLimiting', 429, request, {
    request,
    status: 429,
    headers: new HttpHeaders({ 'x-ms-request-id': 'req-2', 'x-ms-correlation-request-id': 'corr-2' }),
  });
  assert.match(inspect(sdkError, { depth: 10 }), /eyJ/, 'precondition: the SDK error itself carries the token');
  const error = toAzureApiError(sdkError, { service: 'resource-graph', operation: 'resources' });
  assert.equal(error.statusCode, 429);
  assert.equal(error.code, 'RateLimiting');
  assert.equal(error.requestId, 'req-2');
  assert.equal(error.correlationId, 'corr-2');
  assert.equal(isThrottled(error), true);
  assert.doesNotMatch(everyRendering(error), /eyJ|c2lnbmF0dXJl/);
});

test('a GraphError maps by status and Graph error code, with request-id and client-request-id', () => {
  const sdkError = new GraphError(404, "Resource 'x' does not exist or one of its queried reference-property objects are not present.");
  sdkError.code = 'Request_ResourceNotFound';
  sdkError.requestId = 'graph-req-1';
  sdkError.headers = new Headers({ 'request-id': 'graph-req-1', 'client-request-id': 'client-1' });
  const error = toAzureApiError(sdkError, { service: 'graph', operation: 'servicePrincipals.get', target: 'x' });
  assert.equal(error.statusCode, 404);
  assert.equal(error.code, 'Request_ResourceNotFound');
  assert.equal(error.requestId, 'graph-req-1');
  assert.equal(error.correlationId, 'client-1');
  assert.equal(isNotFound(error), true);
  assert.match(error.message, /^Microsoft Graph servicePrincipals\.get failed with 404 Request_ResourceNotFound: /);
});

test('a Graph 401 maps to an authentication failure', () => {
  const sdkError = new GraphError(401, 'Access token validation failure. Invalid audience.');
  sdkError.code = 'InvalidAuthenticationToken';
  const error = toAzureApiError(sdkError, { service: 'graph', operation: 'directoryObjects.getByIds' });
  assert.equal(isAuthenticationFailure(error), true);
  assert.equal(isAuthorizationFailure(error), false);
  assert.equal(error.requestId, undefined);
});

test('a failure with no response keeps no status; a credential failure is named by its class', () => {
  const error = toAzureApiError(new CredentialUnavailableError('ManagedIdentityCredential: no managed identity endpoint found.'), { service: 'arm', operation: 'roleAssignments.listForScope' });
  assert.equal(error.statusCode, undefined);
  assert.equal(error.code, 'CredentialUnavailableError');
  assert.equal(isNotFound(error) || isThrottled(error) || isAuthorizationFailure(error) || isAuthenticationFailure(error), false);
  const network = toAzureApiError(new RestError('connect ECONNREFUSED 127.0.0.1:1', { code: 'ECONNREFUSED' }), { service: 'arm', operation: 'roleAssignments.getById' });
  assert.equal(network.code, 'ECONNREFUSED');
  assert.equal(network.statusCode, undefined);
  const graphTransport = new GraphError(-1, 'fetch failed');
  graphTransport.code = 'TypeError';
  assert.equal(toAzureApiError(graphTransport, { service: 'graph', operation: 'x' }).statusCode, undefined);
});

test('an AzureApiError passes through unchanged; anything else thrown still becomes one', () => {
  const original = toAzureApiError(new GraphError(500, 'boom'), { service: 'graph', operation: 'x' });
  assert.equal(toAzureApiError(original, { service: 'arm', operation: 'y' }), original);
  const odd = toAzureApiError('a string was thrown', { service: 'arm', operation: 'z' });
  assert.match(odd.message, /a string was thrown/);
  assert.equal(odd.code, undefined);
});

test('a token inside an SDK message is scrubbed from the message, the stack and the cause', () => {
  const sdkError = new RestError(`request failed; headers: {"authorization":"Bearer ${TOKEN}"}`, { statusCode: 500 });
  const error = toAzureApiError(sdkError, { service: 'arm', operation: 'roleAssignments.listForSubscription' });
  assert.doesNotMatch(everyRendering(error), /eyJ|c2lnbmF0dXJl/);
  assert.match(error.message, /\[REDACTED\]/);
});

test('scrubSecrets removes tokens, bearer values and credential fields, and leaves ordinary text alone', () => {
  const cases: [string, RegExp][] = [
    [`Authorization: Bearer ${TOKEN}`, /^Authorization: \[REDACTED\]$/],
    [`bearer opaque-token-value`, /^bearer \[REDACTED\]$/],
    [`{"access_token":"${TOKEN}","expires_on":"1"}`, /^\{"access_token":"\[REDACTED\]","expires_on":"1"\}$/],
    ['x-identity-header: 0f1e2d3c4b5a', /^x-identity-header: \[REDACTED\]$/],
    [`token ${TOKEN} was rejected`, /^token \[REDACTED\] was rejected$/],
  ];
  for (const [input, expected] of cases) assert.match(scrubSecrets(input), expected, input);
  const plain = "The role assignment 'abc' is not found.";
  assert.equal(scrubSecrets(plain), plain);
});
