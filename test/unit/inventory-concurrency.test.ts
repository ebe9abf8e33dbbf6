import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapConcurrently } from '../../src/inventory/concurrency.ts';

test('mapConcurrently keeps the items order in its results and never runs more than it is allowed at once', async () => {
  let running = 0;
  let most = 0;
  const release: (() => void)[] = [];
  const results = mapConcurrently([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
    running += 1;
    most = Math.max(most, running);
    await new Promise<void>((resolve) => release.push(resolve));
    running -= 1;
    return item * 10;
  });
  // Finish the waiting calls last-started first, so completion order differs from the items order.
  while (release.length > 0 || running > 0) {
    await new Promise((resolve) => setImmediate(resolve));
    release.pop()?.();
  }
  assert.deepEqual(await results, [10, 20, 30, 40, 50, 60, 70]);
  assert.equal(most, 3);
});

test('mapConcurrently of nothing is nothing', async () => {
  assert.deepEqual(await mapConcurrently([], 4, async () => 1), []);
});
