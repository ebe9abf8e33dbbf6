import { existsSync } from 'node:fs';
import { notMeasuredEvents, type EventsResult } from './results.ts';

const NEEDED = ['../functions/index.ts', '../src/events/process-event.ts'].map((path) => new URL(path, import.meta.url));

/** A burst of 1,000 role-assignment events (10 % duplicates) through the event path: throughput, latency, duplicate actions. */
export async function measureEventBurst(): Promise<EventsResult> {
  const missing = NEEDED.filter((url) => !existsSync(url));
  if (missing.length > 0) return notMeasuredEvents(`not measured yet: needs ${missing.map((url) => url.pathname.split('/main/')[1]).join(' and ')}`);
  return notMeasuredEvents('not measured yet: the event path appeared after this harness was written');
}
