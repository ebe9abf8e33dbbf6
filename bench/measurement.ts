import { z } from 'zod';

/** What bench/sweep-process.ts measures and sends back to bench/run.ts. */
export const SweepMode = z.enum(['idwarden', 'baseline']);
export type SweepMode = z.infer<typeof SweepMode>;

export const SweepMeasurement = z.object({
  wallSeconds: z.number(),
  /** Peak resident set size of this process (getrusage), Node and its modules included. */
  peakRssMb: z.number(),
  findings: z.number().nullable(),
  findingsByRule: z.record(z.string(), z.number()),
  /** What the sweep read, to see that both sweeps covered the same tenant. */
  read: z.record(z.string(), z.number()),
  gaps: z.array(z.string()),
});
export type SweepMeasurement = z.infer<typeof SweepMeasurement>;

export const SweepReply = z.union([z.object({ ok: z.literal(true), measurement: SweepMeasurement }), z.object({ ok: z.literal(false), error: z.string() })]);
export type SweepReply = z.infer<typeof SweepReply>;
