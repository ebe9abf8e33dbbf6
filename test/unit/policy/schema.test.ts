import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicy } from '../../../src/policy/load.ts';
import { PolicyError, type PolicyProblem } from '../../../src/policy/policy-error.ts';
import { buildPolicySchema } from '../../../src/policy/schema.ts';
import { fakeRules, fakeSchema } from './fake-rules.ts';

const PRINCIPAL = '11111111-1111-1111-1111-111111111111';
const SUB = '22222222-2222-2222-2222-222222222222';

/** The problems parsePolicy reports for a text, by path; fails the test when the policy is accepted. */
function problemsOf(text: string): Map<string, string> {
  try {
    parsePolicy(text, 'test.yaml', fakeSchema);
  } catch (error) {
    assert.ok(error instanceof PolicyError, `expected a PolicyError, got ${String(error)}`);
    return new Map(error.problems.map((problem: PolicyProblem) => [problem.path, problem.message]));
  }
  assert.fail('the policy was accepted');
}

test('a minimal policy gets every default: dry-run, whole tenant, managed identities, each rule at its default action', () => {
  const { policy } = parsePolicy('version: 1\n', 'min.yaml', fakeSchema);
  assert.equal(policy.enforcement, 'dry-run');
  assert.deepEqual(policy.scope, { include: ['/'], exclude: [] });
  assert.deepEqual(policy.principals.include, ['ManagedIdentity']);
  assert.deepEqual(policy.rules['orphaned-role-assignment'], { enabled: true, action: 'remediate', graceHours: 24 });
  assert.deepEqual(policy.rules['stale-identity'], { enabled: true, action: 'ticket', days: 90 });
  assert.deepEqual(policy.guardrails, { maxRemediationsPerRun: 20, protectedPrincipals: [] });
  assert.deepEqual(policy.exemptions, []);
});

test('every problem is reported at once, each at its exact path', () => {
  const problems = problemsOf(`
version: 1
enforcment: enforce
enforcement: always
scope: { include: [/subscriptions/${SUB}], exlude: [] }
rules:
  stale-identiy: { days: 30 }
  stale-identity: { days: 0, action: remediate }
  new-identity: { withinHour: 12 }
exemptions:
  - { rule: stale-identity, reason: sandbox, expires: 2027-31-03, approvedBy: secops@contoso.com }
  - { rule: new-identity, principalId: ${PRINCIPAL}, reason: lab, expires: "31/03/2027", approvedBy: secops@contoso.com }
notify: { teams: { webhookUrlSetting: "https://contoso.webhook.office.com/webhookb2/abc" } }
`);
  assert.deepEqual([...problems.keys()].sort(), [
    'enforcement',
    'enforcment',
    'exemptions[0]',
    'exemptions[0].expires',
    'exemptions[1].expires',
    'notify.teams.webhookUrlSetting',
    'rules.new-identity.withinHour',
    'rules.stale-identity.action',
    'rules.stale-identity.days',
    'rules.stale-identiy',
    'scope.exlude',
  ]);
  assert.match(problems.get('enforcment')!, /unknown key 'enforcment' \(did you mean 'enforcement'\?\)/);
  assert.match(problems.get('enforcement')!, /expected 'dry-run' or 'enforce', got "always"/);
  assert.match(problems.get('scope.exlude')!, /did you mean 'exclude'/);
  assert.match(problems.get('rules.stale-identiy')!, /unknown rule 'stale-identiy' \(did you mean 'stale-identity'\?\); known rules: new-identity, orphaned-role-assignment, stale-identity, privileged-role-broad-scope/);
  assert.match(problems.get('rules.new-identity.withinHour')!, /did you mean 'withinHours'/);
  assert.match(problems.get('rules.stale-identity.action')!, /rule 'stale-identity' cannot take action "remediate": allowed actions are 'report', 'alert', 'ticket'/);
  assert.match(problems.get('exemptions[0]')!, /at least one of principalId, scope, roleAssignmentId, identityResourceId/);
  assert.match(problems.get('exemptions[0].expires')!, /expected a date \(YYYY-MM-DD\) or an ISO 8601 date-time/);
  assert.match(problems.get('exemptions[1].expires')!, /got "31\/03\/2027"/);
  assert.match(problems.get('notify.teams.webhookUrlSetting')!, /NAME of the app setting .* not the value itself/);
});

test('remediate is refused at load time for a rule that has no remediation, allowed for one that has', () => {
  assert.match(problemsOf('version: 1\nrules: { new-identity: { action: remediate } }').get('rules.new-identity.action')!, /cannot take action "remediate"/);
  const { policy } = parsePolicy('version: 1\nrules: { orphaned-role-assignment: { action: remediate } }', 'ok.yaml', fakeSchema);
  assert.equal(policy.rules['orphaned-role-assignment']?.action, 'remediate');
});

test('exemptions: required fields, selector formats, unknown rule, date and date-time expiry, no tenant-wide scope', () => {
  const problems = problemsOf(`
version: 1
exemptions:
  - { rule: stale-identity, principalId: not-a-guid, scope: subscriptions/${SUB}, expires: 2027-03-31 }
  - { rule: stale-identty, roleAssignmentId: /subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignments/x, reason: r, expires: 2027-03-31T18:00:00, approvedBy: secops }
  - { rule: stale-identity, identityResourceId: /subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id, reason: ok, expires: 2027-03-31T18:00:00+02:00, approvedBy: a@contoso.com }
  - { rule: stale-identity, scope: /, reason: everything, expires: 2027-03-31, approvedBy: a@contoso.com }
`);
  assert.deepEqual([...problems.keys()].sort(), [
    'exemptions[0].approvedBy',
    'exemptions[0].principalId',
    'exemptions[0].reason',
    'exemptions[0].scope',
    'exemptions[1].approvedBy',
    'exemptions[1].expires',
    'exemptions[1].roleAssignmentId',
    'exemptions[1].rule',
    'exemptions[3].scope',
  ]);
  assert.match(problems.get('exemptions[0].reason')!, /reason/);
  assert.match(problems.get('exemptions[0].principalId')!, /expected a GUID/);
  assert.match(problems.get('exemptions[1].rule')!, /unknown rule "stale-identty" \(did you mean 'stale-identity'\?\); known rules: /);
  assert.match(problems.get('exemptions[1].approvedBy')!, /email address/);
  assert.match(problems.get('exemptions[3].scope')!, /covers every finding of the rule: to switch a rule off, set rules.<rule>.enabled: false/);
});

test('secrets are refused where the name of an app setting belongs, with a message that says so', () => {
  const problems = problemsOf(`
version: 1
notify: { teams: { webhookUrlSetting: "contoso.webhook.office.com hook" }, email: { from: idwarden@contoso.com, to: [] } }
tickets: { github: { repo: contoso, tokenSetting: ghp_16C7e42F292c6912E7710c838347Ae178B4a }, azureDevOps: { organization: contoso } }
`);
  assert.match(problems.get('notify.teams.webhookUrlSetting')!, /expected an app setting name/);
  assert.match(problems.get('notify.email.to')!, /at least one recipient/);
  assert.match(problems.get('tickets.github.repo')!, /'owner\/name'/);
  assert.match(problems.get('tickets.github.tokenSetting')!, /not the value itself/);
  assert.match(problems.get('tickets.azureDevOps.project')!, /Azure DevOps project/);
  assert.equal(problems.size, 5);
});

test('scopes, principals and guardrails are checked', () => {
  const problems = problemsOf(`
version: 2
scope: { include: [/subscriptions/${SUB}/resourceGroups/rg], exclude: [not-a-scope] }
principals: { include: [Application, User] }
guardrails: { maxRemediationsPerRun: -1, protectedPrincipals: [bot] }
`);
  assert.deepEqual([...problems.keys()].sort(), [
    'guardrails.maxRemediationsPerRun',
    'guardrails.protectedPrincipals[0]',
    'principals.include[1]',
    'scope.exclude[0]',
    'scope.include[0]',
    'version',
  ]);
  assert.match(problems.get('version')!, /expected 1, got 2/);
  assert.match(problems.get('scope.include[0]')!, /managementGroups\/\{name\} or \/subscriptions\/\{guid\}/);
  assert.match(problems.get('principals.include[1]')!, /expected 'ManagedIdentity', 'Application', got "User"/);
});

test('a missing version and a non-mapping document are reported plainly', () => {
  assert.match(problemsOf('enforcement: enforce').get('version')!, /required: every policy starts with version: 1/);
  assert.match(problemsOf('').get('')!, /the policy is empty/);
  assert.match(problemsOf('- version: 1').get('')!, /expected object/);
});

test('managed identities are always covered; principal kinds are normalised', () => {
  const { policy } = parsePolicy('version: 1\nprincipals: { include: [Application, Application] }', 'p.yaml', fakeSchema);
  assert.deepEqual(policy.principals.include, ['ManagedIdentity', 'Application']);
});

test('the schema builder refuses rule lists it cannot turn into a policy', () => {
  const [first] = fakeRules;
  assert.throws(() => buildPolicySchema([first!, first!]), /listed twice/);
  assert.throws(() => buildPolicySchema([{ ...first!, params: fakeRules[1]!.params.transform((value) => value) } as never]), /params must be a zod object/);
});
