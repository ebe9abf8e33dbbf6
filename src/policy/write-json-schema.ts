/** Regenerates idwarden.policy.schema.json: `node --import tsx src/policy/write-json-schema.ts` after changing a rule's params. */
import { writeFileSync } from 'node:fs';
import { POLICY_JSON_SCHEMA_FILE, renderPolicyJsonSchema } from './json-schema.ts';

writeFileSync(POLICY_JSON_SCHEMA_FILE, renderPolicyJsonSchema());
console.log(`wrote ${POLICY_JSON_SCHEMA_FILE}`);
