import { createHash } from 'node:crypto';

/** A small seeded generator (mulberry32): the same seed gives the same duplicates and reorderings every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stable seed from a name, for subscriptions that do not give one. */
export const seedFrom = (name: string) => createHash('sha256').update(name).digest().readUInt32BE(0);
