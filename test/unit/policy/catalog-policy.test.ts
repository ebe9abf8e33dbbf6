import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { decide } from '../../../src/policy/decide.ts';
import { POLICY_JSON_SCHEMA_FILE, renderPolicyJsonSchema } from '../../../src/policy/json-schema.ts';
import { loadPolicyFile, parsePolicy } from '../../../src/policy/load.ts';
import { PolicyError } from '../../../src/policy/policy-error.ts';
import { enabledRules } from '../../../src/policy/rule-settings.ts';
import { rules } from '../../../src/rules/catalog/index.ts';
import { RULE_IDS, type FindingDraft } from '../../../src/rules/rule.ts';

/** The policy machinery against the real rule catalogue and the policy files the project ships. */

const DEFAULT_POLICY = new URL('../../../src/policy/default-policy.yaml', import.meta.url).pathname;
const ENFORCE_EXAMPLE = new URL('../../../src/policy/examples/enforce.yaml', import.meta.url).pathname;
const DEMO_AS_OF = new Date('2026-11-20T12:00:00Z');
const BOT = 'b0700000-0000-4000-8000-000000000001';

/** DESIGN.md §6, with its `...` placeholders filled in. */
const DESIGN_EXAMPLE = `
version: 1
enforcement: dry-run          # dry-run | enforce ; dry-run is the default
scope: { include: [/subscriptions/5b000001-0000-4000-8000-000000000001, /providers/Microsoft.Management/managementGroups/mg-prod], exclude: [] }
principals: { include: [ManagedIdentity], }        # add Application to cover app service principals
rules:
  privileged-role-broad-scope: { action: remediate, remediation: downscope, severity: high }
  orphaned-role-assignment:    { action: remediate, graceHours: 24 }
  stale-identity:              { action: ticket, days: 90 }
exemptions:
  - { rule: privileged-role-broad-scope, principalId: 00000000-0000-0000-0000-000000000000, reason: "deploy pipeline", expires: 2027-03-31, approvedBy: secops@contoso.com }
guardrails: { maxRemediationsPerRun: 20, protectedPrincipals: [e0000000-0000-4000-8000-000000000004] }   # the bot's own identity is always protected
notify: { teams: { webhookUrlSetting: TEAMS_WEBHOOK_URL }, email: { from: idwarden@contoso.com, to: [secops@contoso.com] } }
tickets: { github: { repo: contoso/cloud-governance }, azureDevOps: { organization: contoso, project: SecOps } }
`;

test('the DESIGN.md §6 example validates against the catalogue', () => {
  const { policy } = parsePolicy(DESIGN_EXAMPLE, 'DESIGN.md §6');
  assert.equal(policy.rules['privileged-role-broad-scope']?.remediation, 'downscope');
  assert.equal(policy.rules['orphaned-role-assignment']?.graceHours, 24);
  assert.deepEqual(policy.tickets.azureDevOps, { organization: 'contoso', project: 'SecOps' });
});

test('the schema knows every rule of the catalogue and only those', () => {
  const { policy } = parsePolicy('version: 1', 'min.yaml');
  assert.deepEqual(Object.keys(policy.rules), [...RULE_IDS]);
  assert.throws(
    () => parsePolicy('version: 1\nrules: { new-identity: { action: remediate }, unused-identity: {} }', 'bad.yaml'),
    (error: unknown) =>
      error instanceof PolicyError &&
      error.problems.length === 2 &&
      error.problems.some((problem) => problem.path === 'rules.new-identity.action' && /cannot take action "remediate"/.test(problem.message)) &&
      error.problems.some((problem) => problem.path === 'rules.unused-identity' && problem.message.includes(`known rules: ${RULE_IDS.join(', ')}`)),
  );
});

test('the shipped default policy is safe: dry-run, every rule listed at its default action, nothing but defaults', () => {
  const { policy, hash } = loadPolicyFile(DEFAULT_POLICY);
  assert.equal(policy.enforcement, 'dry-run');
  const written = YAML.parse(readFileSync(DEFAULT_POLICY, 'utf8')) as { rules: Record<string, { action: string }> };
  assert.deepEqual(Object.keys(written.rules), [...RULE_IDS], 'every rule is spelt out, in catalogue order');
  for (const rule of rules) assert.equal(written.rules[rule.id]?.action, rule.defaultAction, `${rule.id} at its default action`);
  assert.equal(hash, parsePolicy('version: 1', 'defaults').hash, 'what the file writes down is exactly the defaults');
});

test("the demo's enforcing policy: remediation with downscope, tickets, Teams and email, one live and one lapsed exemption", () => {
  const { policy } = loadPolicyFile(ENFORCE_EXAMPLE);
  assert.equal(policy.enforcement, 'enforce');
  assert.equal(policy.rules['orphaned-role-assignment']?.action, 'remediate');
  assert.deepEqual(policy.rules['privileged-role-broad-scope'], { enabled: true, action: 'remediate', remediation: 'downscope', severity: 'high', scopes: ['root', 'managementGroup', 'subscription'] });
  assert.ok(policy.tickets.github && policy.tickets.azureDevOps && policy.notify.teams && policy.notify.email);

  const broadScope = (overrides: Partial<FindingDraft>): FindingDraft => ({
    id: 'x',
    ruleId: 'privileged-role-broad-scope',
    severity: 'high',
    title: 't',
    description: 'd',
    evidence: {},
    ...overrides,
  });
  const context = { asOf: DEMO_AS_OF, botPrincipalId: BOT };
  const bot = decide(broadScope({ principalId: BOT, scope: '/providers/Microsoft.Management/managementGroups/mg-contoso' }), policy, context);
  assert.equal(bot.decision.action, 'report');
  assert.equal(bot.decision.exemption?.expires, '2027-06-30');
  const lapsed = decide(
    broadScope({
      principalId: 'a1000000-0000-4000-8000-000000000020',
      scope: '/providers/Microsoft.Management/managementGroups/mg-prod',
      roleAssignmentId: '/providers/Microsoft.Management/managementGroups/mg-prod/providers/Microsoft.Authorization/roleAssignments/ac000000-0000-4000-8000-000000000030',
    }),
    policy,
    context,
  );
  assert.equal(lapsed.decision.action, 'remediate');
  assert.equal(lapsed.decision.dryRun, false);
  assert.match(lapsed.decision.notes?.[0] ?? '', /expired at 2026-11-01T00:00:00\.000Z and no longer applies/);
});

test('enabledRules with the catalogue: each rule with its own params, parsed', () => {
  const { policy } = parsePolicy('version: 1\nrules: { stale-identity: { days: 30 }, new-identity: { enabled: false } }', 'p.yaml');
  const enabled = enabledRules(policy);
  assert.deepEqual(
    enabled.map(({ rule }) => rule.id),
    RULE_IDS.filter((id) => id !== 'new-identity'),
  );
  assert.deepEqual(enabled.find(({ rule }) => rule.id === 'stale-identity')?.params, { days: 30 });
});

test('the committed idwarden.policy.schema.json is what the schema generates (run src/policy/write-json-schema.ts)', () => {
  assert.equal(readFileSync(POLICY_JSON_SCHEMA_FILE, 'utf8'), renderPolicyJsonSchema());
  const schema = JSON.parse(renderPolicyJsonSchema()) as { properties: { rules: { properties: Record<string, unknown> } } };
  assert.deepEqual(Object.keys(schema.properties.rules.properties), [...RULE_IDS]);
});
