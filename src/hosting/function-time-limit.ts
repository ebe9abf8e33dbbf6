import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { findUpwards } from './find-upwards.ts';

/**
 * How long an invocation of this app can run: host.json `functionTimeout`, read from host.json itself (the one place
 * it is set; the app's root, found upwards from here: src/ in a checkout, dist/src/ when built), so nothing in code
 * repeats it. The host stops an invocation at this limit, so a record an invocation wrote longer ago than
 * `invocationCertainlyOverMs()` belongs to one that is over: alive or dead, it will write nothing more.
 */
const HostJson = z.looseObject({
  functionTimeout: z
    .string()
    .regex(/^\d{2}:\d{2}:\d{2}$/, "must be 'hh:mm:ss': an unbounded time limit (-1) leaves no point past which an invocation is certainly over"),
});

/**
 * Past the time limit: clocks of different instances disagree by a little (NTP keeps them within a second), and the
 * host takes a moment to stop a worker it timed out.
 */
const MARGIN_MS = 2 * 60_000;

let cached: number | undefined;

/** host.json `functionTimeout` in ms. Throws, naming the file, when host.json is missing or the value unusable. */
export function functionTimeLimitMs(): number {
  cached ??= readTimeLimit();
  return cached;
}

/** After this long, whatever invocation wrote a record is certainly over: the time limit and a margin. */
export function invocationCertainlyOverMs(): number {
  return functionTimeLimitMs() + MARGIN_MS;
}

function readTimeLimit(): number {
  const file = findHostJson();
  const parsed = HostJson.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: functionTimeout ${parsed.error.issues.map((issue) => issue.message).join('; ')}`);
  const [hours, minutes, seconds] = parsed.data.functionTimeout.split(':').map(Number) as [number, number, number];
  return ((hours * 60 + minutes) * 60 + seconds) * 1000;
}

function findHostJson(): string {
  const file = findUpwards(import.meta.dirname, 'host.json', (found) => found);
  if (!file) throw new Error(`no host.json above ${import.meta.dirname}: the Functions time limit (functionTimeout) is read from it`);
  return file;
}
