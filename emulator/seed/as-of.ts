/**
 * The instant the demo tenant and generated tenants are written against: their "now". Scan them with
 * `--as-of` this instant (or set the emulator clock to it) and the time-based rules see what was planted.
 */
export const SEED_AS_OF = '2026-11-20T12:00:00Z';
