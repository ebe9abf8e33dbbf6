/**
 * idwarden's benchmarks (issue 7): `npm run bench` for sizes S, M and L, `npm run bench -- --quick` for S and M
 * (under three minutes), `--sizes S,L` for a choice, `--no-baseline` to leave the baseline out. Each size is a generated tenant served by the emulator with
 * 30 ms latency and the platform's limits; the idwarden sweep and the baseline each run in a child process.
 * Writes bench/results/latest.json and prints a markdown table. Every sweep has a time limit, so the run ends.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { TENANT_SIZES, type TenantSize } from '../emulator/seed/generate.ts';
import { measureColdImport } from './cold-import.ts';
import { measureEventBurst } from './events.ts';
import { markdown } from './report.ts';
import { machine, notMeasuredSize, type BenchResults } from './results.ts';
import { benchmarkSize, type SizeReport } from './sweep-size.ts';

const SIZES = Object.keys(TENANT_SIZES) as TenantSize[];
const Sizes = z
  .string()
  .transform((list) => list.split(',').map((size) => size.trim().toUpperCase()))
  .pipe(z.array(z.enum(SIZES as [TenantSize, ...TenantSize[]])).min(1));

function flags(): { sizes: TenantSize[]; baseline: boolean } {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, sizes: { type: 'string' }, 'no-baseline': { type: 'boolean', default: false } },
    strict: true,
  });
  return { sizes: values.sizes !== undefined ? Sizes.parse(values.sizes) : values.quick ? ['S', 'M'] : SIZES, baseline: !values['no-baseline'] };
}

async function main(): Promise<void> {
  const { sizes, baseline } = flags();
  const reports: SizeReport[] = [];
  for (const size of sizes) {
    process.stderr.write(`bench: size ${size}…\n`);
    reports.push(await benchmarkSize(size, { baseline }));
  }
  process.stderr.write('bench: event burst…\n');
  const events = await measureEventBurst();
  process.stderr.write('bench: cold import…\n');
  const coldImport = await measureColdImport();
  const results: BenchResults = {
    sizes: Object.fromEntries(
      SIZES.map((size) => [size, reports.find((report) => report.size === size)?.result ?? notMeasuredSize(TENANT_SIZES[size], `not in this run (sizes ${sizes.join(', ')})`)]),
    ) as BenchResults['sizes'],
    events: events.result,
    coldImport,
    machine: machine(),
    at: new Date().toISOString(),
  };
  const out = new URL('./results/latest.json', import.meta.url);
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
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
