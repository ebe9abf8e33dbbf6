import type { Now } from './clock.ts';

export interface BucketLimit {
  capacity: number;
  refillPerSecond: number;
}

/**
 * A token bucket: it holds up to `capacity` tokens and gains `refillPerSecond` of them a second; a request
 * costing n tokens passes when n are there and takes them. A refused request takes nothing. ARM's request
 * limits (one token a request) and Microsoft Graph's resource units (a cost per request) both work this way.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly limit: BucketLimit,
    private readonly now: Now,
  ) {
    this.tokens = limit.capacity;
    this.updatedAt = now();
  }

  /** Milliseconds until `cost` tokens are there; 0 when they are now. A cost above the capacity waits for a full bucket. */
  waitMs(cost: number): number {
    this.refill();
    const missing = Math.min(cost, this.limit.capacity) - this.tokens;
    // The epsilon keeps float dust (0.975 tokens after 39 ms at 25/s) from adding a millisecond.
    return missing <= 1e-9 ? 0 : Math.ceil((missing / this.limit.refillPerSecond) * 1000 - 1e-9);
  }

  /** Takes the tokens; call only after `waitMs(cost)` said 0. */
  take(cost: number): void {
    this.refill();
    this.tokens = Math.max(0, this.tokens - Math.min(cost, this.limit.capacity));
  }

  /** Whole tokens left, as the remaining-quota headers report them. */
  remaining(): number {
    this.refill();
    return Math.floor(this.tokens);
  }

  private refill(): void {
    const at = this.now();
    this.tokens = Math.min(this.limit.capacity, this.tokens + ((at - this.updatedAt) / 1000) * this.limit.refillPerSecond);
    this.updatedAt = at;
  }
}
