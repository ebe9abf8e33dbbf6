import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import YAML from 'yaml';
import { canonicalJson, loadPolicyFile, parsePolicy } from '../../../src/policy/load.ts';
import { PolicyError } from '../../../src/policy/policy-error.ts';
import { fakeSchema } from './fake-rules.ts';

const PRINCIPAL = '11111111-1111-1111-1111-111111111111';

const POLICY_YAML = `
version: 1
enforcement: enforce
rules:
  stale-identity: { action: alert, days: 30 }
  privileged-role-broad-scope: { remediation: remove, severity: critical }
exemptions:
  - { rule: stale-identity, principalId: ${PRINCIPAL}, reason: "batch job, runs yearly", expires: 2027-03-31, approvedBy: secops@contoso.com }
guardrails: { maxRemediationsPerRun: 5 }
`;

/** The same policy, reformatted: block style, other key order, defaults spelt out, comments, quoting. */
const SAME_POLICY_REFORMATTED = `
# reordered and restyled
guardrails:
  protectedPrincipals: []
  maxRemediationsPerRun: 5
rules:
  privileged-role-broad-scope:
    severity: "critical"
    remediation: 'remove'
  stale-identity:
    days: 30
    action: alert
    enabled: true
exemptions:
  - approvedBy: secops@contoso.com
    expires: "2027-03-31"
    reason: batch job, runs yearly
    principalId: "${PRINCIPAL}"
    rule: stale-identity
enforcement: enforce
version: 1
`;

function policyError(run: () => unknown): PolicyError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof PolicyError, `expected a PolicyError, got ${String(error)}`);
    return error;
  }
  assert.fail('no error');
}

test('the hash is the same for the same policy however it is written (YAML layout, key order, defaults, JSON)', () => {
  const original = parsePolicy(POLICY_YAML, 'a.yaml', fakeSchema);
  const reformatted = parsePolicy(SAME_POLICY_REFORMATTED, 'b.yaml', fakeSchema);
  const asJson = parsePolicy(JSON.stringify(YAML.parse(POLICY_YAML), null, 4), 'c.json', fakeSchema);
  assert.match(original.hash, /^[0-9a-f]{64}$/);
  assert.equal(reformatted.hash, original.hash);
  assert.equal(asJson.hash, original.hash);
  assert.deepEqual(reformatted.policy, original.policy);
});

test('the hash changes when the policy means something else', () => {
  const original = parsePolicy(POLICY_YAML, 'a.yaml', fakeSchema);
  const changed = parsePolicy(POLICY_YAML.replace('days: 30', 'days: 31'), 'a.yaml', fakeSchema);
  assert.notEqual(changed.hash, original.hash);
});

test('canonical JSON sorts keys at every level and keeps array order', () => {
  assert.equal(canonicalJson({ b: [{ d: 1, c: 2 }, 3], a: null, skipped: undefined }), '{"a":null,"b":[{"c":2,"d":1},3]}');
});

test('YAML syntax errors are reported with line and column', () => {
  const error = policyError(() => parsePolicy('version: 1\nrules:\n  stale-identity: { days: 30\nenforcement: enforce\n', 'broken.yaml', fakeSchema));
  assert.equal(error.source, 'broken.yaml');
  assert.equal(error.problems.length, 1);
  const [problem] = error.problems;
  assert.equal(problem!.line, 4);
  assert.equal(problem!.column, 1);
  assert.match(problem!.message, /^YAML syntax error at line 4, column 1: /);
});

test('duplicate keys are errors, not last-one-wins', () => {
  const error = policyError(() => parsePolicy('version: 1\nenforcement: dry-run\nenforcement: enforce\n', 'dup.yaml', fakeSchema));
  assert.match(error.problems[0]!.message, /line 3, column 1: Map keys must be unique/);
});

test('an alias to a missing anchor is a PolicyError, not a crash', () => {
  const error = policyError(() => parsePolicy('version: 1\nenforcement: *mode\n', 'alias.yaml', fakeSchema));
  assert.match(error.problems[0]!.message, /YAML error: Unresolved alias/);
});

test('loadPolicyFile reads a file, and reports an unreadable one as a PolicyError', () => {
  const directory = mkdtempSync(join(tmpdir(), 'idwarden-policy-'));
  const file = join(directory, 'idwarden.policy.yaml');
  writeFileSync(file, POLICY_YAML);
  assert.equal(loadPolicyFile(file, fakeSchema).hash, parsePolicy(POLICY_YAML, 'x', fakeSchema).hash);
  const error = policyError(() => loadPolicyFile(join(directory, 'missing.yaml'), fakeSchema));
  assert.match(error.problems[0]!.message, /cannot read the policy file: .*ENOENT/);
});

test('fuzz: whatever the document, parsePolicy returns a policy or throws a PolicyError', () => {
  const keys = fc.constantFrom('version', 'enforcement', 'scope', 'include', 'exclude', 'rules', 'stale-identity', 'days', 'action', 'exemptions', 'rule', 'principalId', 'expires', 'guardrails', 'notify', 'teams', 'webhookUrlSetting', '__proto__', 'constructor', 'toString');
  const scalars = fc.oneof(fc.constantFrom(1, 0, -1, 1.5, 'enforce', 'remediate', '2027-03-31', PRINCIPAL, '/', null, true), fc.string(), fc.double(), fc.integer());
  const { value: documentValue } = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, scalars, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.oneof(keys, fc.string()), tie('value'), { maxKeys: 5 })),
  }));
  // Mostly near-valid policies (so the deep checks run), plus arbitrary values and raw text.
  const policyLike = fc.record({ version: fc.oneof(fc.constant(1), scalars) }).chain((base) =>
    fc.dictionary(keys, documentValue, { maxKeys: 6 }).map((rest) => ({ ...rest, ...base })),
  );
  const document = fc.oneof(
    policyLike.map((value) => YAML.stringify(value)),
    policyLike.map((value) => JSON.stringify(value) ?? ''),
    documentValue.map((value) => YAML.stringify(value)),
    fc.string({ maxLength: 200 }),
  );
  fc.assert(
    fc.property(document, (text) => {
      try {
        const { policy, hash } = parsePolicy(text, 'fuzz.yaml', fakeSchema);
        assert.equal(policy.version, 1);
        assert.match(hash, /^[0-9a-f]{64}$/);
      } catch (error) {
        if (!(error instanceof PolicyError)) throw error;
        assert.ok(error.problems.length > 0);
        for (const problem of error.problems) assert.equal(typeof problem.message, 'string');
      }
    }),
    { numRuns: 300, seed: 20261123 },
  );
});
