import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, type DecideContext } from '../../../src/policy/decide.ts';
import { parsePolicy } from '../../../src/policy/load.ts';
import type { FindingDraft } from '../../../src/rules/rule.ts';
import { fakeSchema } from './fake-rules.ts';

const SUB = '0b1f6471-1bf0-4dda-aec3-cb9272f09590';
const PIPELINE = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const OTHER = '6ba7b810-9dad-41d1-80b4-00c04fd430c8';
const BOT = '9a7b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
const BREAK_GLASS = 'c56a4180-65aa-42ec-a945-5fd21dec0538';
const ASSIGNMENT = `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignments/5f9e8d7c-6b5a-4c3d-9e2f-1a0b9c8d7e6f`;
const UAMI = `/subscriptions/${SUB}/resourceGroups/rg-deploy/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-deploy`;

const context: DecideContext = { asOf: new Date('2026-11-23T12:00:00Z'), botPrincipalId: BOT };

function draft(overrides: Partial<FindingDraft> = {}): FindingDraft {
  return {
    id: 'privileged-role-broad-scope:abc',
    ruleId: 'privileged-role-broad-scope',
    severity: 'high',
    title: 'Owner at subscription scope',
    description: 'uami-deploy holds Owner on the subscription',
    scope: `/subscriptions/${SUB}`,
    principalId: PIPELINE,
    roleAssignmentId: ASSIGNMENT,
    identityResourceId: UAMI,
    evidence: {},
    ...overrides,
  };
}

const policy = (yaml: string) => parsePolicy(`version: 1\n${yaml}`, 'decide.yaml', fakeSchema).policy;
const exemptionFor = (rule: string, selector: string, expires = '2027-03-31') =>
  `exemptions:\n  - { rule: ${rule}, ${selector}, reason: "deploy pipeline", expires: ${expires}, approvedBy: secops@contoso.com }\n`;

test('dry-run unless the policy enforces; the rule default action unless the policy sets one', () => {
  assert.deepEqual(decide(draft(), policy(''), context), { severity: 'high', decision: { action: 'remediate', dryRun: true } });
  assert.deepEqual(decide(draft(), policy('enforcement: enforce'), context).decision, { action: 'remediate', dryRun: false });
  const configured = policy('enforcement: enforce\nrules: { privileged-role-broad-scope: { action: ticket, severity: critical } }');
  assert.deepEqual(decide(draft(), configured, context), { severity: 'critical', decision: { action: 'ticket', dryRun: false } });
});

test("without a severity override, the finding keeps the rule's severity for it", () => {
  assert.equal(decide(draft({ severity: 'low' }), policy(''), context).severity, 'low');
});

test('an active exemption: still reported, never acted on, with the exemption recorded', () => {
  const judged = decide(draft(), policy(`enforcement: enforce\n${exemptionFor('privileged-role-broad-scope', `principalId: ${PIPELINE.toUpperCase()}`)}`), context);
  assert.deepEqual(judged, {
    severity: 'high',
    decision: { action: 'report', dryRun: false, exemption: { reason: 'deploy pipeline', approvedBy: 'secops@contoso.com', expires: '2027-03-31' } },
  });
});

test('an exemption for another rule or another principal does not apply', () => {
  assert.equal(decide(draft(), policy(exemptionFor('stale-identity', `principalId: ${PIPELINE}`)), context).decision.exemption, undefined);
  assert.equal(decide(draft(), policy(exemptionFor('privileged-role-broad-scope', `principalId: ${OTHER}`)), context).decision.exemption, undefined);
});

test('an expired exemption stops applying and the decision says so', () => {
  const judged = decide(draft(), policy(`enforcement: enforce\n${exemptionFor('privileged-role-broad-scope', `principalId: ${PIPELINE}`, '2026-11-22')}`), context);
  assert.equal(judged.decision.action, 'remediate');
  assert.equal(judged.decision.exemption, undefined);
  assert.deepEqual(judged.decision.notes, ['exemption approved by secops@contoso.com ("deploy pipeline") expired at 2026-11-23T00:00:00.000Z and no longer applies']);
});

test('a date-only expiry covers its whole day (UTC); a date-time is exact', () => {
  const lastDay = policy(exemptionFor('privileged-role-broad-scope', `principalId: ${PIPELINE}`, '2026-11-23'));
  assert.equal(decide(draft(), lastDay, context).decision.action, 'report');
  assert.equal(decide(draft(), lastDay, { ...context, asOf: new Date('2026-11-24T00:00:00Z') }).decision.action, 'remediate');
  const exact = policy(exemptionFor('privileged-role-broad-scope', `principalId: ${PIPELINE}`, '2026-11-23T13:00:00+02:00'));
  assert.equal(decide(draft(), exact, context).decision.action, 'remediate', '13:00+02:00 is 11:00Z, before asOf');
});

test('an expired and an active exemption: exempt, and the expired one is noted', () => {
  const yaml = `exemptions:
  - { rule: privileged-role-broad-scope, principalId: ${PIPELINE}, reason: old, expires: 2026-01-31, approvedBy: a@contoso.com }
  - { rule: privileged-role-broad-scope, roleAssignmentId: ${ASSIGNMENT}, reason: renewed, expires: 2027-01-31, approvedBy: b@contoso.com }`;
  const { decision } = decide(draft(), policy(yaml), context);
  assert.equal(decision.action, 'report');
  assert.equal(decision.exemption?.reason, 'renewed');
  assert.equal(decision.notes?.length, 1);
  assert.match(decision.notes![0]!, /approved by a@contoso\.com \("old"\) expired/);
});

test('scope exemptions match the scope itself or anything below it, case-insensitively', () => {
  const exempt = policy(exemptionFor('privileged-role-broad-scope', `scope: /SUBSCRIPTIONS/${SUB.toUpperCase()}`));
  assert.equal(decide(draft(), exempt, context).decision.action, 'report', 'same scope, other casing');
  assert.equal(decide(draft({ scope: `/subscriptions/${SUB}/resourceGroups/rg-app` }), exempt, context).decision.action, 'report', 'below it');
  const narrower = policy(exemptionFor('privileged-role-broad-scope', `scope: /subscriptions/${SUB}/resourceGroups/rg-app`));
  assert.equal(decide(draft(), narrower, context).decision.action, 'remediate', 'a subscription-wide finding is not inside one resource group');
  const identityFinding = draft({ ruleId: 'stale-identity', scope: undefined });
  const inResourceGroup = policy(exemptionFor('stale-identity', `scope: /subscriptions/${SUB}/resourcegroups/RG-DEPLOY`));
  assert.equal(decide(identityFinding, inResourceGroup, context).decision.action, 'report', 'a finding without a scope is placed at its identity');
});

test('a management-group exemption covers subscriptions below it when the hierarchy is known', () => {
  const exempt = policy(exemptionFor('privileged-role-broad-scope', 'scope: /providers/Microsoft.Management/managementGroups/mg-prod'));
  assert.equal(decide(draft(), exempt, context).decision.action, 'remediate');
  const withHierarchy = { ...context, ancestry: (scope: string) => (scope.toLowerCase() === `/subscriptions/${SUB}` ? ['mg-prod', 'root'] : []) };
  assert.equal(decide(draft(), exempt, withHierarchy).decision.action, 'report');
});

test('roleAssignmentId and identityResourceId selectors; every selector given must match', () => {
  assert.equal(decide(draft(), policy(exemptionFor('privileged-role-broad-scope', `roleAssignmentId: ${ASSIGNMENT.toLowerCase()}`)), context).decision.action, 'report');
  assert.equal(decide(draft(), policy(exemptionFor('privileged-role-broad-scope', `identityResourceId: ${UAMI.toUpperCase()}`)), context).decision.action, 'report');
  const both = policy(exemptionFor('privileged-role-broad-scope', `principalId: ${PIPELINE}, scope: /subscriptions/7c9e6679-7425-40de-944b-e07fc1f90ae7`));
  assert.equal(decide(draft(), both, context).decision.action, 'remediate', 'right principal, wrong scope');
  assert.equal(decide(draft({ roleAssignmentId: undefined }), policy(exemptionFor('privileged-role-broad-scope', `roleAssignmentId: ${ASSIGNMENT}`)), context).decision.action, 'remediate');
});

test('a protected principal is never remediated: alert instead, with the reason', () => {
  const protectedPolicy = policy(`enforcement: enforce\nguardrails: { protectedPrincipals: [${BREAK_GLASS.toUpperCase()}] }`);
  assert.deepEqual(decide(draft({ principalId: BREAK_GLASS }), protectedPolicy, context).decision, {
    action: 'alert',
    dryRun: false,
    notes: ['not remediated (alert instead): the principal is in guardrails.protectedPrincipals'],
  });
  assert.equal(decide(draft(), protectedPolicy, context).decision.action, 'remediate', 'other principals still are');
  const ticketed = policy(`guardrails: { protectedPrincipals: [${BREAK_GLASS}] }\nrules: { privileged-role-broad-scope: { action: ticket } }`);
  assert.deepEqual(decide(draft({ principalId: BREAK_GLASS }), ticketed, context).decision, { action: 'ticket', dryRun: true }, 'only remediation is held back');
});

test("the bot's own principal is never remediated, whatever the policy says", () => {
  const { decision } = decide(draft({ principalId: BOT.toUpperCase() }), policy('enforcement: enforce'), context);
  assert.equal(decision.action, 'alert');
  assert.deepEqual(decision.notes, ["not remediated (alert instead): the principal is the bot's own identity"]);
});

test('evidence that blocks remediation (a soft-deleted principal) downgrades it, even in dry-run', () => {
  const softDeleted = draft({
    ruleId: 'orphaned-role-assignment',
    severity: 'low',
    evidence: { principalState: 'soft-deleted', remediationBlocked: 'principal is soft-deleted and restorable until 2026-12-01T00:00:00.000Z' },
  });
  assert.deepEqual(decide(softDeleted, policy(''), context), {
    severity: 'low',
    decision: { action: 'alert', dryRun: true, notes: ['not remediated (alert instead): remediation is blocked: principal is soft-deleted and restorable until 2026-12-01T00:00:00.000Z'] },
  });
  assert.equal(decide(draft({ ruleId: 'orphaned-role-assignment', evidence: { remediationBlocked: true } }), policy(''), context).decision.notes?.[0], 'not remediated (alert instead): the evidence says remediation is blocked');
});

test('a finding of a rule the policy was not built with is a programming error', () => {
  assert.throws(() => decide(draft({ ruleId: 'custom-role-wildcard' }), policy(''), context), /no settings for rule 'custom-role-wildcard'/);
});
