import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { policySchema, type PolicySchema } from './schema.ts';

/** Where the published JSON Schema lives: the repository root, next to the policies editors open. */
export const POLICY_JSON_SCHEMA_FILE = fileURLToPath(new URL('../../idwarden.policy.schema.json', import.meta.url));

/**
 * The JSON Schema editors validate `idwarden.policy.yaml` with, generated from the same zod schema the bot uses.
 * It describes what a user writes (`io: 'input'`: defaults shown, nothing required that has one). What JSON Schema
 * cannot say (a secret pasted where a setting name belongs, ARM ids in unusual casing) is left to idwarden itself.
 */
export function policyJsonSchema(schema: PolicySchema = policySchema): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' });
}

/** The committed file's exact text. */
export const renderPolicyJsonSchema = (schema: PolicySchema = policySchema) => `${JSON.stringify(policyJsonSchema(schema), null, 2)}\n`;
