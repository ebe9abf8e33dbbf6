import type { Now } from './clock.ts';

export interface WindowLimit {
  requests: number;
  windowSeconds: number;
}

export interface WindowVerdict {
  allowed: boolean;
  /** Requests left in the current window (after this one, when it was allowed). */
  remaining: number;
  /** Milliseconds until the window resets and the full quota is back. */
  resetsAfterMs: number;
}

/**
 * A quota of `requests` per window, the window starting with the first request after the previous one ended:
 * Resource Graph's "at most 15 queries within every 5-second window", with the remaining count and the time to
 * the reset that its `x-ms-user-quota-*` headers report. A refused request does not count.
 */
export class WindowQuota {
  private windowEndsAt = Number.NEGATIVE_INFINITY;
  private used = 0;

  constructor(
    readonly limit: WindowLimit,
    private readonly now: Now,
  ) {}

  take(): WindowVerdict {
    const at = this.now();
    if (at >= this.windowEndsAt) {
      this.windowEndsAt = at + this.limit.windowSeconds * 1000;
      this.used = 0;
    }
    const allowed = this.used < this.limit.requests;
    if (allowed) this.used += 1;
    return { allowed, remaining: this.limit.requests - this.used, resetsAfterMs: this.windowEndsAt - at };
  }
}
