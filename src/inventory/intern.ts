/**
 * One copy of each repeated string in the inventory. Parsed JSON gives every row its own copy of values most rows
 * share: of 100,000 role assignments, each carries its principal type, its role definition id (subscription-prefixed,
 * one per role and subscription) and its scope (a few thousand distinct), about 30 MB of copies at size L.
 *
 * The pool outlives a sweep (a process sweeps the same tenant again), so it is bounded: past its size it starts over,
 * which costs only sharing, never correctness.
 */
const MAX_POOLED = 50_000;
const pool = new Map<string, string>();

export function intern(value: string): string {
  const kept = pool.get(value);
  if (kept !== undefined) return kept;
  if (pool.size >= MAX_POOLED) pool.clear();
  pool.set(value, value);
  return value;
}
