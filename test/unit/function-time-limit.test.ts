import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { functionTimeLimitMs, invocationCertainlyOverMs } from '../../src/hosting/function-time-limit.ts';

test("the Functions time limit is host.json's functionTimeout, read from host.json", () => {
  const host = JSON.parse(readFileSync(new URL('../../host.json', import.meta.url), 'utf8')) as { functionTimeout: string };
  const [hours, minutes, seconds] = host.functionTimeout.split(':').map(Number) as [number, number, number];
  assert.equal(functionTimeLimitMs(), ((hours * 60 + minutes) * 60 + seconds) * 1000);
});

test('an invocation is taken to be over only some time after the limit: clocks and the host stopping a worker take a moment', () => {
  const margin = invocationCertainlyOverMs() - functionTimeLimitMs();
  assert.ok(margin >= 60_000 && margin <= functionTimeLimitMs(), `margin ${margin} ms`);
});
