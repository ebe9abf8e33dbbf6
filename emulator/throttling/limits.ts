import { z } from 'zod';
import type { BucketLimit } from './token-bucket.ts';
import type { WindowLimit } from './window-quota.ts';

/**
 * The platform limits the emulator applies when throttling is on (shared/reference/landscape.md §3, from the
 * Microsoft docs named there). They are the documented defaults; tests shrink them to throttle a small tenant.
 */
export interface ThrottlingLimits {
  /**
   * ARM's regional token buckets (since 2024): per subscription, per principal and per operation type, and the
   * same again for tenant-level requests (no subscription in the path). All principals together also share a
   * subscription-wide bucket `globalMultiplier` times the size (the `-global-` headers).
   */
  arm: { reads: BucketLimit; writes: BucketLimit; deletes: BucketLimit; globalMultiplier: number };
  /** Resource Graph: queries per window per principal (a `$skipToken` page is a query too). */
  resourceGraph: WindowLimit;
  /**
   * Microsoft Graph's identity and access service: resource units per application and tenant, a token bucket
   * (the documented "8,000 per 10 seconds" of a large tenant is 8,000 tokens refilled at 800 a second).
   */
  graph: BucketLimit;
}

export const DEFAULT_LIMITS: ThrottlingLimits = {
  arm: {
    reads: { capacity: 250, refillPerSecond: 25 },
    writes: { capacity: 200, refillPerSecond: 10 },
    deletes: { capacity: 200, refillPerSecond: 10 },
    globalMultiplier: 15,
  },
  resourceGraph: { requests: 15, windowSeconds: 5 },
  graph: { capacity: 8_000, refillPerSecond: 800 },
};

const bucketOverride = z.strictObject({ capacity: z.number().positive().optional(), refillPerSecond: z.number().positive().optional() });

/** Limits with some values replaced: a control request, a test or the bench names only what it changes. */
export const LimitOverridesSchema = z.strictObject({
  arm: z
    .strictObject({ reads: bucketOverride.optional(), writes: bucketOverride.optional(), deletes: bucketOverride.optional(), globalMultiplier: z.number().positive().optional() })
    .optional(),
  resourceGraph: z.strictObject({ requests: z.number().int().positive().optional(), windowSeconds: z.number().positive().optional() }).optional(),
  graph: bucketOverride.optional(),
});
export type LimitOverrides = z.infer<typeof LimitOverridesSchema>;

export function withOverrides(overrides: LimitOverrides = {}, base: ThrottlingLimits = DEFAULT_LIMITS): ThrottlingLimits {
  const arm = overrides.arm ?? {};
  return {
    arm: {
      reads: merged(base.arm.reads, arm.reads),
      writes: merged(base.arm.writes, arm.writes),
      deletes: merged(base.arm.deletes, arm.deletes),
      globalMultiplier: arm.globalMultiplier ?? base.arm.globalMultiplier,
    },
    resourceGraph: merged(base.resourceGraph, overrides.resourceGraph),
    graph: merged(base.graph, overrides.graph),
  };
}

/** The base with every value the override sets (an absent or undefined value keeps the base's). */
function merged<T extends object>(base: T, override: { [K in keyof T]?: T[K] | undefined } | undefined): T {
  const result = { ...base };
  for (const key of Object.keys(override ?? {}) as (keyof T)[]) {
    const value = override![key];
    if (value !== undefined) result[key] = value as T[keyof T];
  }
  return result;
}
