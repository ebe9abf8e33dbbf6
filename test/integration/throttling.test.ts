import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, tokenFor, useEmulator } from '../support/emulator.ts';
import { generateTenant } from '../../emulator/seed/generate.ts';
import { SEED_AS_OF } from '../../emulator/seed/as-of.ts';
import { withOverrides, type LimitOverrides } from '../../emulator/throttling/limits.ts';
import { createAzureClients } from '../../src/azure/clients.ts';
import { loadAzureConfig } from '../../src/azure/config.ts';
import { parsePolicy } from '../../src/policy/load.ts';
import { runSweep } from '../../src/pipeline/sweep.ts';

const { seed } = generateTenant({ roleAssignments: 200, identities: 60, subscriptions: 2, seed: 7 });
const emulator = await useEmulator({ seed });
const clients = createAzureClients(loadAzureConfig(emulator.env));
const policy = parsePolicy('version: 1\n', 'test');
const asOf = new Date(SEED_AS_OF);
const bot = seed.bot!.principalId;

/**
 * Small enough that the sweep meets every limit within a burst of requests sent back to back (so whether it does
 * does not depend on the machine's speed): ARM pages of user-assigned identities (10 a page below), Resource Graph's
 * three queries sent together after the first, Graph's group member lists read eight at a time. Waits are about a second.
 */
const TIGHT: LimitOverrides = {
  arm: { reads: { capacity: 1, refillPerSecond: 1 } },
  resourceGraph: { requests: 2, windowSeconds: 1 },
  graph: { capacity: 8, refillPerSecond: 8 },
};

test('the sweep completes under every limit: the clients wait as Retry-After says, retry, and find what an unthrottled sweep finds', async () => {
  emulator.core.throttling.disable();
  const unthrottled = await runSweep(clients, policy, { asOf });
  assert.deepEqual(unthrottled.snapshot.gaps, []);

  const pageSize = emulator.core.armPageSizes.userAssignedIdentities;
  emulator.core.armPageSizes.userAssignedIdentities = 10;
  emulator.core.throttling.enable(withOverrides(TIGHT));
  emulator.core.requests.reset();
  const throttled = await runSweep(clients, policy, { asOf });
  const { throttled: answered } = emulator.core.throttling.stats();
  emulator.core.throttling.disable();
  emulator.core.armPageSizes.userAssignedIdentities = pageSize;

  assert.deepEqual(throttled.snapshot.gaps, [], 'every throttled call was retried until it succeeded');
  assert.ok(answered.arm > 0 && answered.resourceGraph > 0 && answered.graph > 0, `each service throttled at least once: ${JSON.stringify(answered)}`);
  const ids = (findings: typeof throttled.findings) => findings.map((finding) => finding.id).sort();
  assert.deepEqual(ids(throttled.findings), ids(unthrottled.findings));

  // ARM always asks for at least a second: each retry of a throttled ARM request came that much later.
  const log = emulator.core.requests.recent();
  const armThrottled = log.filter((entry) => entry.status === 429 && entry.route.startsWith('arm.'));
  assert.ok(armThrottled.length > 0);
  for (const refused of armThrottled) {
    const retry = log.find((entry) => entry.at > refused.at && entry.method === refused.method && entry.path === refused.path && entry !== refused);
    assert.ok(retry, `the client retried ${refused.method} ${refused.path}`);
    assert.ok(retry.at.getTime() - refused.at.getTime() >= 1_000, `the retry of ${refused.path} waited the Retry-After second`);
  }
});

test('over the wire: PUT /_emulator/throttling switches the limits on; answers carry the remaining-quota headers, the 429 its Retry-After', async () => {
  const switchedOn = await call(emulator, 'PUT', '/_emulator/throttling', { body: { enabled: true, limits: { arm: { reads: { capacity: 1, refillPerSecond: 0.1 } } } } });
  assert.equal(switchedOn.status, 200);
  assert.equal(switchedOn.body.limits.arm.reads.capacity, 1);
  try {
    const token = tokenFor(emulator, bot);
    const subscription = `/subscriptions/${seed.subscriptions![0]!.subscriptionId}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version=2024-11-30`;
    const first = await call(emulator, 'GET', subscription, { token });
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('x-ms-ratelimit-remaining-subscription-reads'), '0');
    assert.equal(first.headers.get('x-ms-ratelimit-remaining-subscription-global-reads'), '14');

    const second = await call(emulator, 'GET', subscription, { token });
    assert.equal(second.status, 429);
    assert.equal(second.headers.get('retry-after'), '10');
    assert.equal(second.body.error.code, 'SubscriptionRequestsThrottled');
    assert.ok(second.headers.get('x-ms-request-id'), 'the correlation headers are there as on any ARM answer');

    const query = await call(emulator, 'POST', '/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01', { token, body: { query: 'resources | project id' } });
    assert.equal(query.status, 200);
    assert.equal(query.headers.get('x-ms-user-quota-remaining'), '14');
    assert.equal(query.headers.get('x-ms-user-quota-resets-after'), '00:00:05');

    const stats = await call(emulator, 'GET', '/_emulator/throttling');
    assert.deepEqual(stats.body.throttled, { arm: 1, resourceGraph: 0, graph: 0 });
    assert.equal((await call(emulator, 'PUT', '/_emulator/throttling', { body: { enabled: true, limits: { arm: { reads: { capacity: 0 } } } } })).body.error.code, 'InvalidControlRequest');
  } finally {
    assert.equal((await call(emulator, 'DELETE', '/_emulator/throttling')).status, 204);
  }
  assert.equal(emulator.core.throttling.stats().enabled, false);
});
