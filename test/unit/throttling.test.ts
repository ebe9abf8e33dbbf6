import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EmulatorRequest, EmulatorResponse } from '../../emulator/server/exchange.ts';
import type { Route } from '../../emulator/server/route.ts';
import { resourceUnits, identityPath } from '../../emulator/throttling/graph-cost.ts';
import { DEFAULT_LIMITS, withOverrides } from '../../emulator/throttling/limits.ts';
import { Throttling, type ThrottledCaller } from '../../emulator/throttling/throttling.ts';
import { TokenBucket } from '../../emulator/throttling/token-bucket.ts';
import { WindowQuota } from '../../emulator/throttling/window-quota.ts';

/** A clock the test moves: no sleeps. */
function fakeClock() {
  let at = 1_000;
  return { now: () => at, advance: (milliseconds: number) => (at += milliseconds) };
}

const TENANT = '11111111-1111-4111-8111-111111111111';
const BOT: ThrottledCaller = { principalId: 'B0B00000-0000-4000-8000-000000000001', appId: 'a0000000-0000-4000-8000-000000000001', tenantId: TENANT };
const OTHER: ThrottledCaller = { principalId: 'c0000000-0000-4000-8000-000000000002', appId: 'a0000000-0000-4000-8000-000000000002', tenantId: TENANT };
const SUB_A = '/subscriptions/aaaaaaaa-0000-4000-8000-000000000000';
const SUB_B = '/subscriptions/bbbbbbbb-0000-4000-8000-000000000000';
const ARG_ROUTE = { name: 'resourceGraph.resources' } as Route;
const ARM_ROUTE = { name: 'arm.userAssignedIdentities.listBySubscription' } as Route;

function request(method: string, path: string, caller: ThrottledCaller, query = ''): EmulatorRequest & { caller: ThrottledCaller } {
  return {
    method,
    path,
    query: new URLSearchParams(query),
    headers: {},
    body: undefined,
    rawBody: '',
    service: path.startsWith('/v1.0') || path.startsWith('/beta') ? 'graph' : 'arm',
    requestId: 'req-1',
    receivedAt: new Date('2026-11-20T12:00:00Z'),
    baseUrl: 'https://127.0.0.1:1',
    caller,
  };
}

function throttlingWith(limits = DEFAULT_LIMITS) {
  const clock = fakeClock();
  const throttling = new Throttling((req) => (req as ReturnType<typeof request>).caller, clock.now);
  throttling.enable(limits);
  /** The 429 the interceptor answered, or undefined when the request went through (its added headers are on `req`). */
  const send = async (req: EmulatorRequest, route: Route = ARM_ROUTE): Promise<EmulatorResponse | undefined> => {
    const intercepted = await throttling.intercept(req, route);
    return intercepted?.kind === 'respond' ? intercepted.response : undefined;
  };
  return { throttling, clock, send };
}

test('a token bucket lets its capacity through at once, then refills at its rate and never past its capacity', () => {
  const clock = fakeClock();
  const bucket = new TokenBucket({ capacity: 250, refillPerSecond: 25 }, clock.now);
  for (let i = 0; i < 250; i += 1) {
    assert.equal(bucket.waitMs(1), 0);
    bucket.take(1);
  }
  assert.equal(bucket.remaining(), 0);
  assert.equal(bucket.waitMs(1), 40, 'one token comes back every 40 ms at 25 a second');
  clock.advance(39);
  assert.equal(bucket.waitMs(1), 1);
  clock.advance(1);
  assert.equal(bucket.waitMs(1), 0);
  clock.advance(60_000);
  assert.equal(bucket.remaining(), 250, 'a full bucket stays full');
});

test('a token bucket charges a cost, and a cost above its capacity waits for a full bucket instead of forever', () => {
  const clock = fakeClock();
  const bucket = new TokenBucket({ capacity: 10, refillPerSecond: 1 }, clock.now);
  bucket.take(5);
  assert.equal(bucket.waitMs(5), 0);
  bucket.take(5);
  assert.equal(bucket.waitMs(5), 5_000);
  assert.equal(bucket.waitMs(50), 10_000);
});

test('a window quota counts queries from the first one, refuses the one past the limit without counting it, and starts afresh', () => {
  const clock = fakeClock();
  const quota = new WindowQuota({ requests: 15, windowSeconds: 5 }, clock.now);
  for (let used = 1; used <= 15; used += 1) {
    assert.deepEqual(quota.take(), { allowed: true, remaining: 15 - used, resetsAfterMs: 5_000 - (used - 1) * 100 });
    clock.advance(100);
  }
  assert.deepEqual(quota.take(), { allowed: false, remaining: 0, resetsAfterMs: 3_500 });
  clock.advance(3_500);
  assert.deepEqual(quota.take(), { allowed: true, remaining: 14, resetsAfterMs: 5_000 });
});

test('ARM: reads are limited per subscription and principal, answered 429 SubscriptionRequestsThrottled with Retry-After and the remaining-reads headers', async () => {
  const { send, clock, throttling } = throttlingWith(withOverrides({ arm: { reads: { capacity: 2, refillPerSecond: 0.5 } } }));
  const first = request('GET', SUB_A, BOT);
  assert.equal(await send(first), undefined);
  assert.deepEqual(first.addedResponseHeaders, { 'x-ms-ratelimit-remaining-subscription-reads': '1', 'x-ms-ratelimit-remaining-subscription-global-reads': '29' });
  assert.equal(await send(request('GET', `${SUB_A}/resourceGroups/rg`, BOT)), undefined);

  const throttled = await send(request('GET', SUB_A, BOT));
  assert.equal(throttled?.status, 429);
  assert.equal(throttled?.headers?.['retry-after'], '2', 'a token is back in 2 s at half a token a second');
  assert.equal(throttled?.headers?.['x-ms-ratelimit-remaining-subscription-reads'], '0');
  const body = throttled?.body as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'SubscriptionRequestsThrottled');
  assert.match(body.error.message, /^Number of 'read' requests for subscription 'aaaaaaaa-0000-4000-8000-000000000000' actor 'b0b00000-0000-4000-8000-000000000001' exceeded\. Please try again after '2' seconds/);

  assert.equal(await send(request('GET', SUB_B, BOT)), undefined, 'another subscription has its own bucket');
  assert.equal(await send(request('GET', SUB_A, OTHER)), undefined, 'another principal has its own bucket');
  assert.equal(await send(request('DELETE', `${SUB_A}/providers/Microsoft.Authorization/roleAssignments/x`, BOT)), undefined, 'deletes have their own bucket');
  clock.advance(2_000);
  assert.equal(await send(request('GET', SUB_A, BOT)), undefined, 'after Retry-After the read goes through');
  assert.equal(throttling.stats().throttled.arm, 1);
});

test('ARM: all principals share a subscription-wide bucket of 15 times the size; requests without a subscription use tenant buckets', async () => {
  const { send } = throttlingWith(withOverrides({ arm: { reads: { capacity: 1, refillPerSecond: 1 }, globalMultiplier: 1 } }));
  assert.equal(await send(request('GET', SUB_A, BOT)), undefined);
  const shared = await send(request('GET', SUB_A, OTHER));
  assert.equal(shared?.status, 429, 'the global bucket is empty even though this principal never called');
  assert.equal(shared?.headers?.['x-ms-ratelimit-remaining-subscription-global-reads'], '0');

  const group = '/providers/Microsoft.Management/managementGroups/mg-prod/providers/Microsoft.Authorization/roleAssignments';
  const tenantRead = request('GET', group, BOT);
  assert.equal(await send(tenantRead), undefined);
  assert.deepEqual(tenantRead.addedResponseHeaders, { 'x-ms-ratelimit-remaining-tenant-reads': '0' });
  const throttled = await send(request('GET', group, BOT));
  assert.equal((throttled?.body as { error: { code: string } }).error.code, 'TenantRequestsThrottled');
  assert.match((throttled?.body as { error: { message: string } }).error.message, new RegExp(`for tenant '${TENANT}'`));
});

test('Resource Graph: 15 queries per 5-second window per principal, with x-ms-user-quota-* on every answer and RateLimiting on the 16th', async () => {
  const { send, clock, throttling } = throttlingWith();
  const query = () => request('POST', '/providers/Microsoft.ResourceGraph/resources', BOT);
  for (let i = 14; i >= 0; i -= 1) {
    const req = query();
    assert.equal(await send(req, ARG_ROUTE), undefined);
    assert.deepEqual(req.addedResponseHeaders, { 'x-ms-user-quota-remaining': String(i), 'x-ms-user-quota-resets-after': '00:00:05' });
  }
  clock.advance(1_200);
  const throttled = await send(query(), ARG_ROUTE);
  assert.equal(throttled?.status, 429);
  assert.deepEqual(throttled?.headers, { 'retry-after': '4', 'x-ms-user-quota-remaining': '0', 'x-ms-user-quota-resets-after': '00:00:04' });
  const body = throttled?.body as { error: { code: string; details: { code: string; message: string }[] } };
  assert.equal(body.error.code, 'RateLimiting');
  assert.equal(body.error.details[0]!.code, 'RateLimiting');
  assert.match(body.error.details[0]!.message, /resourcegraph-throttling/);
  assert.equal(await send(request('POST', '/providers/Microsoft.ResourceGraph/resources', OTHER), ARG_ROUTE), undefined, 'the quota is per principal');
  clock.advance(3_800);
  assert.equal(await send(query(), ARG_ROUTE), undefined);
  assert.equal(throttling.stats().throttled.resourceGraph, 1);
  assert.equal(throttling.stats().throttled.arm, 0, 'a query does not count against ARM');
});

test('Graph resource units follow the documented costs and modifiers', () => {
  const cost = (method: string, path: string, query = '') => resourceUnits(method, identityPath(path)!, new URLSearchParams(query));
  assert.equal(cost('POST', '/v1.0/directoryObjects/getByIds'), 5);
  assert.equal(cost('GET', '/v1.0/groups/g1/transitiveMembers', '$select=id&$top=999'), 4);
  assert.equal(cost('GET', '/v1.0/groups/g1/members'), 3);
  assert.equal(cost('GET', '/v1.0/users'), 2);
  assert.equal(cost('GET', '/v1.0/users', '$top=5'), 1);
  assert.equal(cost('GET', '/v1.0/servicePrincipals', "$filter=servicePrincipalType eq 'ManagedIdentity'&$select=id&$top=999"), 1, 'never below 1');
  assert.equal(cost('GET', '/v1.0/servicePrincipals/sp1/appRoleAssignments', '$expand=x'), 3);
  assert.equal(cost('GET', "/v1.0/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')"), 1);
  assert.equal(identityPath('/beta/reports/servicePrincipalSignInActivities'), undefined, 'reports are another service');
  assert.equal(identityPath('/v1.0/users/u1/sendMail'), undefined, 'mail is Outlook');
});

test('Graph: resource units per application and tenant; 429 TooManyRequests with Retry-After, throttle scope and information', async () => {
  const { send, clock, throttling } = throttlingWith(withOverrides({ graph: { capacity: 12, refillPerSecond: 1 } }));
  const getByIds = () => request('POST', '/v1.0/directoryObjects/getByIds', BOT);
  const first = getByIds();
  assert.equal(await send(first), undefined);
  assert.deepEqual(first.addedResponseHeaders, { 'x-ms-resource-unit': '5' });
  const second = getByIds();
  assert.equal(await send(second), undefined);
  assert.deepEqual(second.addedResponseHeaders, { 'x-ms-resource-unit': '5', 'x-ms-throttle-limit-percentage': '0.8' }, 'past 80 % of the limit');

  const throttled = await send(getByIds());
  assert.equal(throttled?.status, 429);
  assert.equal(throttled?.headers?.['retry-after'], '3.000', '3 more units at 1 a second');
  assert.equal(throttled?.headers?.['x-ms-throttle-scope'], `Tenant_Application/ReadWrite/${BOT.appId}/${TENANT}`);
  assert.equal(throttled?.headers?.['x-ms-throttle-information'], 'ResourceUnitLimitExceeded');
  const body = throttled?.body as { error: { code: string; message: string; innerError: Record<string, string> } };
  assert.equal(body.error.code, 'TooManyRequests');
  assert.equal(body.error.innerError['status'], '429');
  assert.equal(body.error.innerError['request-id'], 'req-1');

  assert.equal(await send(request('GET', '/beta/reports/servicePrincipalSignInActivities', BOT)), undefined, 'not metered by this service');
  assert.equal(await send(request('POST', '/v1.0/directoryObjects/getByIds', OTHER)), undefined, 'another application has its own budget');
  clock.advance(3_000);
  assert.equal(await send(getByIds()), undefined);
  assert.equal(throttling.stats().throttled.graph, 1);
});

test('off, the interceptor lets everything through; switching it on fills every bucket and zeroes the counts', async () => {
  const { send, throttling } = throttlingWith(withOverrides({ arm: { reads: { capacity: 1, refillPerSecond: 1 } } }));
  await send(request('GET', SUB_A, BOT));
  assert.equal((await send(request('GET', SUB_A, BOT)))?.status, 429);
  throttling.disable();
  assert.equal(await send(request('GET', SUB_A, BOT)), undefined);
  assert.deepEqual(throttling.stats().throttled, { arm: 0, resourceGraph: 0, graph: 0 });
  throttling.enable(withOverrides({ arm: { reads: { capacity: 1, refillPerSecond: 1 } } }));
  assert.equal(await send(request('GET', SUB_A, BOT)), undefined);
  assert.equal(throttling.stats().enabled, true);
});

test('overrides change only what they name', () => {
  const limits = withOverrides({ arm: { reads: { capacity: 5 } }, graph: { refillPerSecond: 1 } });
  assert.deepEqual(limits.arm.reads, { capacity: 5, refillPerSecond: 25 });
  assert.deepEqual(limits.arm.writes, DEFAULT_LIMITS.arm.writes);
  assert.deepEqual(limits.graph, { capacity: 8_000, refillPerSecond: 1 });
  assert.deepEqual(limits.resourceGraph, { requests: 15, windowSeconds: 5 });
});
