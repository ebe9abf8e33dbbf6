/**
 * Writes a generated tenant seed:
 *   node --import tsx emulator/seed/generate-cli.ts (--size S|M|L | --scale N) [--seed-random N] [--out FILE] [--manifest FILE]
 * The seed goes to FILE (stdout without --out); the manifest (counts and the findings each rule should
 * produce as of SEED_AS_OF) to --manifest FILE, and a summary to stderr. Exit 0, or 2 on bad flags.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { generateTenant, optionsForScale, optionsForSize, TENANT_SIZES, type TenantSize } from './generate.ts';

const Flags = z
  .strictObject({
    size: z.enum(Object.keys(TENANT_SIZES) as [TenantSize, ...TenantSize[]]).optional(),
    scale: z.coerce.number().int().positive().optional(),
    'seed-random': z.coerce.number().int().min(0).max(0xffffffff).default(1),
    out: z.string().min(1).optional(),
    manifest: z.string().min(1).optional(),
  })
  .refine((flags) => !(flags.size && flags.scale), { message: 'give --size or --scale, not both' });

function main(): number {
  const { values } = parseArgs({
    options: {
      size: { type: 'string' },
      scale: { type: 'string' },
      'seed-random': { type: 'string' },
      out: { type: 'string' },
      manifest: { type: 'string' },
    },
    strict: true,
  });
  const flags = Flags.safeParse(values);
  if (!flags.success) {
    console.error(`generate: ${flags.error.issues.map((issue) => (issue.path.length > 0 ? `--${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ')}`);
    return 2;
  }
  const { size, scale, 'seed-random': seed, out, manifest: manifestFile } = flags.data;
  const options = scale ? optionsForScale(scale, seed) : optionsForSize(size ?? 'S', seed);
  const { seed: tenant, manifest } = generateTenant(options);
  const text = JSON.stringify(tenant);
  if (out) writeFileSync(out, text);
  else process.stdout.write(text);
  if (manifestFile) writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  console.error(`generated ${JSON.stringify(manifest.counts)}${out ? ` into ${out}` : ''}`);
  console.error(`expected findings as of ${manifest.asOf}: ${JSON.stringify(manifest.expectedFindings)}`);
  return 0;
}

try {
  process.exitCode = main();
} catch (error) {
  console.error(`generate: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
}
