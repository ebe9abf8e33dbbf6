/** Time as the alert dispatcher sees it; tests pass one that moves without waiting. */
export interface NotifyClock {
  now(): number;
  sleep(milliseconds: number): Promise<void>;
}

export const systemClock: NotifyClock = {
  now: () => Date.now(),
  sleep: (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)),
};

/** At most `limit` sends in any `perMs` milliseconds. */
export interface RateWindow {
  limit: number;
  perMs: number;
}

/**
 * Teams Workflows publishes no per-webhook rate; these are the limits the retired Incoming Webhook connectors enforced
 * and the Teams docs still give (4 requests a second, 60 in 30 seconds). Exceeding them answered 429.
 */
export const TEAMS_RATE: readonly RateWindow[] = [
  { limit: 4, perMs: 1_000 },
  { limit: 60, perMs: 30_000 },
];

/** Exchange Online accepts 30 messages a minute from one mailbox. */
export const EMAIL_RATE: readonly RateWindow[] = [{ limit: 30, perMs: 60_000 }];

/**
 * Sliding windows rather than a token bucket: a bucket sized for 4 a second and refilled that fast lets 4 + 120 through
 * in 30 seconds; counting the sends inside each window holds every limit exactly. One limiter per channel and
 * destination, kept for the life of the process, so consecutive runs in one Functions instance share it.
 */
export class RateLimiter {
  private readonly sent: number[] = [];
  private readonly longestMs: number;

  constructor(
    private readonly windows: readonly RateWindow[],
    private readonly clock: NotifyClock,
  ) {
    this.longestMs = Math.max(0, ...windows.map((window) => window.perMs));
  }

  /** Waits until one more send fits every window, then counts it. */
  async acquire(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      this.forgetBefore(now - this.longestMs);
      const wait = Math.max(0, ...this.windows.map((window) => this.waitFor(window, now)));
      if (wait === 0) {
        this.sent.push(now);
        return;
      }
      await this.clock.sleep(wait);
    }
  }

  /** Milliseconds until the oldest send that keeps this window full leaves it. */
  private waitFor(window: RateWindow, now: number): number {
    const inWindow = this.sent.filter((at) => at > now - window.perMs);
    if (inWindow.length < window.limit) return 0;
    return inWindow[inWindow.length - window.limit]! + window.perMs - now;
  }

  private forgetBefore(cutoff: number): void {
    const firstKept = this.sent.findIndex((at) => at > cutoff);
    this.sent.splice(0, firstKept === -1 ? this.sent.length : firstKept);
  }
}
