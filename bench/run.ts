/**
 * idwarden's benchmarks (issue 7): `npm run bench` for sizes S, M and L, `npm run bench -- --quick` for S and M
 * (under three minutes), `--sizes S,L` for a choice, `--no-baseline` to leave the baseline out, `--only events` (or
 * `sizes`, `cold-import`, a comma list) for some parts, `--out FILE` to write the results elsewhere (a run on a busy
 * machine must not replace the reference). Each size is a generated tenant served by the emulator with 30 ms latency
 * and the platform's limits; the idwarden sweep and the baseline each run in a child process.
 * Writes bench/results/latest.json and prints a markdown table. Every sweep has a time limit, so the run ends.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { TENANT_SIZES, type TenantSize } from '../emulator/seed/generate.ts';
import { measureColdImport } from './cold-import.ts';
import { measureEventBurst } from './events.ts';
import { markdown } from './report.ts';
import { machine, notMeasuredColdImport, notMeasuredEvents, notMeasuredSize, type BenchResults } from './results.ts';
import { benchmarkSize, type SizeReport } from './sweep-size.ts';

const SIZES = Object.keys(TENANT_SIZES) as TenantSize[];
const Sizes = z
  .string()
  .transform((list) => list.split(',').map((size) => size.trim().toUpperCase()))
  .pipe(z.array(z.enum(SIZES as [TenantSize, ...TenantSize[]])).min(1));

const PARTS = ['sizes', 'events', 'cold-import'] as const;
type Part = (typeof PARTS)[number];
const Parts = z
  .string()
  .transform((list) => list.split(',').map((part) => part.trim().toLowerCase()))
  .pipe(z.array(z.enum(PARTS)).min(1));

function flags(): { sizes: TenantSize[]; baseline: boolean; parts: ReadonlySet<Part>; out: URL } {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      sizes: { type: 'string' },
      'no-baseline': { type: 'boolean', default: false },
      only: { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
  });
  const parts = new Set(values.only !== undefined ? Parts.parse(values.only) : PARTS);
  return {
    sizes: !parts.has('sizes') ? [] : values.sizes !== undefined ? Sizes.parse(values.sizes) : values.quick ? ['S', 'M'] : SIZES,
    baseline: !values['no-baseline'],
    parts,
    out: values.out !== undefined ? pathToFileURL(resolve(values.out)) : new URL('./results/latest.json', import.meta.url),
  };
}

async function main(): Promise<void> {
  const { sizes, baseline, parts, out } = flags();
  const reports: SizeReport[] = [];
  for (const size of sizes) {
    process.stderr.write(`bench: size ${size}…\n`);
    reports.push(await benchmarkSize(size, { baseline }));
  }
  if (parts.has('events')) process.stderr.write('bench: event burst…\n');
  const events = parts.has('events') ? await measureEventBurst() : { result: notMeasuredEvents('not in this run (--only)') };
  if (parts.has('cold-import')) process.stderr.write('bench: cold import…\n');
  const coldImport = parts.has('cold-import') ? await measureColdImport() : notMeasuredColdImport('not in this run (--only)');
  const results: BenchResults = {
    sizes: Object.fromEntries(
      SIZES.map((size) => [size, reports.find((report) => report.size === size)?.result ?? notMeasuredSize(TENANT_SIZES[size], `not in this run (sizes ${sizes.join(', ') || 'none'})`)]),
    ) as BenchResults['sizes'],
    events: events.result,
    coldImport,
    machine: machine(),
    at: new Date().toISOString(),
  };
  mkdirSync(new URL('.', out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(markdown(results, reports, events.details));
  process.stderr.write(`bench: wrote ${out.pathname}\n`);
}

try {
  await main();
} catch (error) {
  console.error(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 2;
}
