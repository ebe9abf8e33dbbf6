/** Milliseconds on a monotonic clock. Injected, so tests move time instead of sleeping. */
export type Now = () => number;

/**
 * Throttling runs on real elapsed time, not on the emulator clock: a client waits `Retry-After` in real
 * seconds, and tests that move the emulator clock by days must not refill every bucket as they do.
 */
export const monotonicNow: Now = () => performance.now();

/** Whole seconds, rounded up, ignoring float dust (5000.000000000002 ms is 5 s). */
export const ceilSeconds = (milliseconds: number) => Math.max(0, Math.ceil(milliseconds / 1000 - 1e-9));

/** `Retry-After` as ARM and Resource Graph send it: whole seconds, at least 1. */
export const wholeSeconds = (milliseconds: number) => String(Math.max(1, ceilSeconds(milliseconds)));
