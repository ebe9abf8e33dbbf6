import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePolicy } from '../../../src/policy/load.ts';
import { validatePolicyCommand } from '../../../src/policy/validate-command.ts';
import { fakeSchema } from './fake-rules.ts';

const directory = mkdtempSync(join(tmpdir(), 'idwarden-validate-'));
function policyFile(name: string, text: string): string {
  const file = join(directory, name);
  writeFileSync(file, text);
  return file;
}

const PRINCIPAL = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const now = new Date('2026-11-23T12:00:00Z');

test('a valid policy: exit 0 and a one-line summary (hash, enforcement, rules enabled, exemptions active/expired)', () => {
  const text = `version: 1
enforcement: enforce
rules: { new-identity: { enabled: false } }
exemptions:
  - { rule: stale-identity, principalId: ${PRINCIPAL}, reason: current, expires: 2027-03-31, approvedBy: secops@contoso.com }
  - { rule: stale-identity, principalId: ${PRINCIPAL}, reason: lapsed, expires: 2026-06-30, approvedBy: secops@contoso.com }
`;
  const file = policyFile('valid.yaml', text);
  const result = validatePolicyCommand(file, { schema: fakeSchema, now });
  const { hash } = parsePolicy(text, file, fakeSchema);
  assert.equal(result.exitCode, 0);
  assert.equal(
    result.output,
    `${file}: valid policy sha256:${hash}, enforcement enforce, 3/4 rules enabled, exemptions 1 active / 1 expired as of 2026-11-23T12:00:00.000Z`,
  );
  assert.equal(result.output.split('\n').length, 1);
});

test('an invalid policy: exit 2 and every problem as `path: message`', () => {
  const file = policyFile('invalid.yaml', 'version: 1\nenforcement: maybe\nrules: { stale-identity: { action: remediate } }\n');
  const result = validatePolicyCommand(file, { schema: fakeSchema, now });
  assert.equal(result.exitCode, 2);
  const [header, ...lines] = result.output.split('\n');
  assert.equal(header, `${file}: invalid policy, 2 problems:`);
  assert.deepEqual(lines.map((line) => line.split(':')[0]).sort(), ['enforcement', 'rules.stale-identity.action']);
});

test('a YAML syntax error and a missing file are problems too, not crashes', () => {
  const broken = validatePolicyCommand(policyFile('broken.yaml', 'version: 1\nrules: [\n'), { schema: fakeSchema, now });
  assert.equal(broken.exitCode, 2);
  assert.match(broken.output, /\n\(policy\): YAML syntax error at line \d+, column \d+: /);
  const missing = validatePolicyCommand(join(directory, 'nope.yaml'), { schema: fakeSchema, now });
  assert.equal(missing.exitCode, 2);
  assert.match(missing.output, /cannot read the policy file/);
});
