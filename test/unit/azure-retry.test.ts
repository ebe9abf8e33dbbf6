import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RETRY_LIMITS, retryDelayMs, type AttemptOutcome } from '../../src/azure/retry.ts';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const outcome = (status: number | undefined, headers: Record<string, string> = {}): AttemptOutcome => ({ status, header: (name) => headers[name] });
const decide = (retries: number, result: AttemptOutcome, random = 0.5) => retryDelayMs(retries, result, NOW, () => random);

test('a throttled response waits exactly what Retry-After says, zero included', () => {
  assert.equal(decide(0, outcome(429, { 'retry-after': '0' })), 0);
  assert.equal(decide(0, outcome(429, { 'retry-after': '7' })), 7000);
  assert.equal(decide(0, outcome(503, { 'retry-after': '2' })), 2000);
  assert.equal(decide(0, outcome(429, { 'retry-after': 'Mon, 23 Nov 2026 12:00:05 GMT' })), 5000);
  assert.equal(decide(0, outcome(429, { 'retry-after': 'Mon, 23 Nov 2026 11:00:00 GMT' })), 0, 'a date in the past means now');
});

test('millisecond headers take precedence over Retry-After, as in core-rest-pipeline', () => {
  assert.equal(decide(0, outcome(429, { 'retry-after-ms': '250', 'retry-after': '9' })), 250);
  assert.equal(decide(0, outcome(429, { 'x-ms-retry-after-ms': '40' })), 40);
});

test('a 429 without a usable Retry-After is not retried; a 503 without one backs off', () => {
  assert.equal(decide(0, outcome(429)), undefined);
  assert.equal(decide(0, outcome(429, { 'retry-after': 'soon' })), undefined);
  assert.equal(decide(0, outcome(503)), 750);
});

test('transient failures back off exponentially with jitter, within the ceiling', () => {
  assert.equal(decide(0, outcome(500), 0), 500);
  assert.equal(decide(0, outcome(500), 1), 1000);
  assert.equal(decide(2, outcome(502), 1), 4000);
  assert.equal(decide(3, outcome(undefined), 1), 8000, 'no response at all (the request could not be sent) is transient');
  assert.equal(decide(0, outcome(408), 1), 1000);
  const ceiling = retryDelayMs(3, outcome(504), NOW, () => 1);
  assert.ok(ceiling !== undefined && ceiling <= RETRY_LIMITS.maxDelayMs);
});

test('client errors, 501 and 505 are final', () => {
  for (const status of [200, 400, 401, 403, 404, 409, 501, 505]) assert.equal(decide(0, outcome(status)), undefined, String(status));
});

test('after maxRetries retries nothing is retried, whatever the server says', () => {
  assert.equal(decide(RETRY_LIMITS.maxRetries, outcome(429, { 'retry-after': '0' })), undefined);
  assert.equal(decide(RETRY_LIMITS.maxRetries, outcome(500)), undefined);
  assert.equal(decide(RETRY_LIMITS.maxRetries - 1, outcome(429, { 'retry-after': '0' })), 0);
});
