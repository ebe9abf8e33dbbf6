/**
 * Lets the bot's work (event deliveries, sweeps) run side by side, and the invariant checks find a moment when none
 * is half done: a check reading the audit log between the bot's delete and its action record would see a violation
 * that is not one. Work holds a shared turn; a check waits for the turns in progress and holds new ones back.
 */
export class QuietPoint {
  private running = 0;
  private quiet: Promise<void> | undefined;
  private wakeChecker: (() => void) | undefined;

  /** Runs one piece of the bot's work, after any check in progress. */
  async work<T>(body: () => Promise<T>): Promise<T> {
    while (this.quiet) await this.quiet;
    this.running += 1;
    try {
      return await body();
    } finally {
      this.running -= 1;
      if (this.running === 0) this.wakeChecker?.();
    }
  }

  /** Runs `check` when no work is in progress; work that arrives meanwhile waits for it. */
  async whenQuiet<T>(check: () => Promise<T>): Promise<T> {
    while (this.quiet) await this.quiet;
    let release!: () => void;
    this.quiet = new Promise((resolve) => (release = resolve));
    try {
      if (this.running > 0) await new Promise<void>((resolve) => (this.wakeChecker = resolve));
      this.wakeChecker = undefined;
      return await check();
    } finally {
      this.quiet = undefined;
      release();
    }
  }
}
