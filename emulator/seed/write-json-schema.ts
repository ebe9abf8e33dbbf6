/**
 * Writes `seed.schema.json`, the JSON Schema editors check seed files with, generated from the zod
 * schema the loader uses (`node --import tsx emulator/seed/write-json-schema.ts`). A test keeps the
 * committed file equal to what this produces. JSON Schema says what a seed looks like; what it cannot
 * say (unknown roles, dangling references, Azure's limits) the loader reports.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { SeedSchema } from './schema.ts';

export const SEED_JSON_SCHEMA_FILE = fileURLToPath(new URL('./seed.schema.json', import.meta.url));

/** The committed file's exact text: the schema of what a seed author writes (`io: 'input'`, defaults optional). */
export const renderSeedJsonSchema = () => `${JSON.stringify(z.toJSONSchema(SeedSchema, { io: 'input', target: 'draft-2020-12' }), null, 2)}\n`;

if (resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  writeFileSync(SEED_JSON_SCHEMA_FILE, renderSeedJsonSchema());
  console.error(`wrote ${SEED_JSON_SCHEMA_FILE}`);
}
