import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderSeedJsonSchema, SEED_JSON_SCHEMA_FILE } from '../../emulator/seed/write-json-schema.ts';

test('the committed seed JSON Schema is the one generated from the zod schema', () => {
  assert.equal(
    readFileSync(SEED_JSON_SCHEMA_FILE, 'utf8'),
    renderSeedJsonSchema(),
    'emulator/seed/seed.schema.json is out of date: run `node --import tsx emulator/seed/write-json-schema.ts`',
  );
});

test('the JSON Schema describes what a seed author writes: strict objects, defaults optional', () => {
  const schema = JSON.parse(renderSeedJsonSchema()) as {
    required: string[];
    additionalProperties: boolean;
    properties: Record<string, { items?: { required?: string[]; additionalProperties?: boolean } }>;
  };
  assert.deepEqual(schema.required.sort(), ['bot', 'schemaVersion', 'tenantId']);
  assert.equal(schema.additionalProperties, false);
  assert.deepEqual(schema.properties['roleAssignments']!.items!.required!.sort(), ['principalId', 'role', 'scope']);
  assert.equal(schema.properties['roleAssignments']!.items!.additionalProperties, false);
});

test('the demo seed points editors at the schema', () => {
  const demo = JSON.parse(readFileSync(join(import.meta.dirname, '../../emulator/seeds/demo.json'), 'utf8')) as { $schema: string };
  assert.equal(join(import.meta.dirname, '../../emulator/seeds', demo.$schema), SEED_JSON_SCHEMA_FILE);
});
