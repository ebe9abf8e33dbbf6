import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { z } from 'zod';
import { notMeasuredColdImport, type ColdImportResult } from './results.ts';
import { round } from './sweep-size.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOURCE = new URL('../functions/index.ts', import.meta.url);
/** What Azure Functions loads: package.json `main`, built by `npm run build` (tsconfig.build.json). */
const BUILT = new URL('../dist/functions/index.js', import.meta.url);
const RUNS = 5;

/** Imports the built entry module once and reports how long that took and the process's peak RSS. */
const IMPORT_ONCE = `
const started = performance.now();
await import(${JSON.stringify(BUILT.href)});
const ms = performance.now() - started;
process.stdout.write(JSON.stringify({ ms, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
process.exit(0);
`;
const ImportFigures = z.object({ ms: z.number(), peakRssMb: z.number() });

/**
 * Time to import the Functions entry module in a fresh Node process, and that process's peak RSS: the part of a
 * cold start the app controls. The entry is built first, as deployed (compiled JavaScript, not TypeScript through
 * a loader); the median of five fresh processes is reported.
 */
export async function measureColdImport(): Promise<ColdImportResult> {
  if (!existsSync(SOURCE)) return notMeasuredColdImport('not measured yet: needs functions/index.ts');
  try {
    await run(process.execPath, [fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url)), '-p', 'tsconfig.build.json'], { cwd: ROOT, timeout: 120_000 });
  } catch (error) {
    const output = (error as { stdout?: string }).stdout?.split('\n').slice(0, 3).join(' ') ?? String(error);
    return notMeasuredColdImport(`the build (tsc -p tsconfig.build.json) failed: ${output}`);
  }
  const figures: z.infer<typeof ImportFigures>[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    try {
      // The Functions library prints "test mode" warnings outside a Functions host: stderr matters only on failure.
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', IMPORT_ONCE], { cwd: ROOT, timeout: 30_000 });
      figures.push(ImportFigures.parse(JSON.parse(stdout)));
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? String(error);
      const cause = stderr.split('\n').find((line) => /^\w*Error\b/.test(line)) ?? stderr.split('\n')[0];
      return notMeasuredColdImport(`the built entry (dist/functions/index.js) failed to import: ${cause}`);
    }
  }
  const sorted = figures.map((figure) => figure.ms).sort((a, b) => a - b);
  return { ms: round(sorted[Math.floor(sorted.length / 2)]!, 1), peakRssMb: round(Math.max(...figures.map((figure) => figure.peakRssMb)), 1) };
}
