/**
 * The emulator's notion of now. Tests move it instead of sleeping: token expiry,
 * createdOn stamps and Event Grid eventTime all read it.
 */
export class Clock {
  private offsetMs = 0;
  private frozenAt: number | undefined;

  now(): Date {
    return new Date((this.frozenAt ?? Date.now()) + this.offsetMs);
  }

  advance(milliseconds: number): Date {
    this.offsetMs += milliseconds;
    return this.now();
  }

  /** Stops (or, with undefined, restarts) the clock at an instant. */
  set(instant: Date | undefined): void {
    this.offsetMs = 0;
    this.frozenAt = instant?.getTime();
  }
}
