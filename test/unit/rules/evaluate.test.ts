import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Snapshot } from '../../../src/model/snapshot.ts';
import { ruleById, rules } from '../../../src/rules/catalog/index.ts';
import { evaluateRules } from '../../../src/rules/evaluate.ts';
import { RULE_IDS, type Rule, type RuleContext } from '../../../src/rules/rule.ts';
import { AS_OF, daysBefore, hoursBefore, snapshot } from '../../support/snapshot-builder.ts';
import { DELETED_PRINCIPAL, MG_PROD, SUB_PROD, TENANT_ID, UAMI_ID, UAMI_PRINCIPAL, WEB_APP_ID } from '../../support/ids.ts';

const context: RuleContext = { asOf: AS_OF, tenantId: TENANT_ID, workloadKinds: new Set(['managedIdentity']) };
const allRules = () => rules.map((rule) => ({ rule, params: {} }));

const SYSTEM_PRINCIPAL = '5a000000-0000-4000-8000-000000000001';
const ORPHAN_PRINCIPAL = '0a000000-0000-4000-8000-000000000001';
const GROUP = '90000000-0000-4000-8000-000000000001';
const SPARE_UAMI_ID = `/subscriptions/${SUB_PROD}/resourceGroups/rg-app/providers/Microsoft.ManagedIdentity/userAssignedIdentities/spare`;
const VM_ID = `/subscriptions/${SUB_PROD}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/gone`;

/** One tenant in which every rule of the catalogue has something to say. */
function everyRuleFires(): Snapshot {
  return snapshot()
    .subscription(SUB_PROD, [MG_PROD])
    .userAssignedIdentity(UAMI_ID, UAMI_PRINCIPAL, { createdAt: daysBefore(300) })
    .userAssignedIdentity(SPARE_UAMI_ID, '5b000000-0000-4000-8000-000000000001', { createdAt: daysBefore(10) })
    .resource(WEB_APP_ID, { systemAssignedPrincipalId: SYSTEM_PRINCIPAL, userAssigned: [UAMI_ID], createdAt: hoursBefore(5) })
    .managedIdentityPrincipal(ORPHAN_PRINCIPAL, VM_ID, 'systemAssigned')
    .customRole('c0570000-0000-4000-8000-000000000001', 'ops-everything', [{ actions: ['*'] }])
    .assign(UAMI_PRINCIPAL, 'Owner', `/subscriptions/${SUB_PROD}`)
    .assign(UAMI_PRINCIPAL, 'ops-everything', `/subscriptions/${SUB_PROD}/resourceGroups/rg-app`)
    .assign(DELETED_PRINCIPAL, 'Reader', `/subscriptions/${SUB_PROD}`)
    .principalState(DELETED_PRINCIPAL, { state: 'absent' })
    .grant(UAMI_PRINCIPAL, 'Application.ReadWrite.All')
    .directoryRole(UAMI_PRINCIPAL, 'Cloud Application Administrator')
    .group(GROUP, 'platform-admins', [SYSTEM_PRINCIPAL])
    .directoryRole(GROUP, 'Global Administrator')
    .build();
}

/** The same tenant as ARM and Graph might spell it on another day: every id and GUID upper-cased. */
function shouted(value: unknown): unknown {
  const looksLikeId = (text: string) => text.startsWith('/') || /^[0-9a-f]{8}-[0-9a-f-]{27}$/i.test(text);
  if (typeof value === 'string') return looksLikeId(value) ? value.toUpperCase() : value;
  if (Array.isArray(value)) return value.map(shouted);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [looksLikeId(key) ? key.toUpperCase() : key, shouted(inner)]));
  return value;
}

test('the catalogue lists every rule id once, in RULE_IDS order, each with defaults that parse from nothing', () => {
  assert.deepEqual(rules.map((rule) => rule.id), [...RULE_IDS]);
  for (const id of RULE_IDS) {
    assert.equal(ruleById[id].id, id);
    assert.doesNotThrow(() => ruleById[id].params.parse({}), id);
    assert.ok(ruleById[id].allowedActions.includes(ruleById[id].defaultAction), `${id} default action is allowed`);
  }
  assert.deepEqual(rules.filter((rule) => rule.allowedActions.includes('remediate')).map((rule) => rule.id), ['orphaned-role-assignment', 'unattached-user-assigned-identity', 'privileged-role-broad-scope', 'privileged-graph-app-role']);
});

test('every rule fires on the all-in-one tenant; findings come sorted by catalogue order then id, without errors', () => {
  const { findings, errors } = evaluateRules(everyRuleFires(), allRules(), context);
  assert.deepEqual(errors, []);
  assert.deepEqual([...new Set(findings.map((finding) => finding.ruleId))], [...RULE_IDS]);
  const order = findings.map((finding) => `${RULE_IDS.indexOf(finding.ruleId as (typeof RULE_IDS)[number]).toString().padStart(2, '0')} ${finding.id}`);
  assert.deepEqual(order, [...order].sort());
});

test('the result does not depend on input order, and fingerprints do not depend on id casing', () => {
  const built = everyRuleFires();
  const reversed: Snapshot = { ...built, roleAssignments: [...built.roleAssignments].reverse(), userAssignedIdentities: [...built.userAssignedIdentities].reverse(), appRoleGrants: [...built.appRoleGrants].reverse() };
  const first = evaluateRules(built, allRules(), context).findings;
  assert.deepEqual(evaluateRules(reversed, allRules(), context).findings, first);
  const loud = evaluateRules(shouted(built) as Snapshot, allRules(), context).findings;
  assert.deepEqual(loud.map((finding) => finding.id), first.map((finding) => finding.id));
});

test('invalid params and a throwing rule are reported as RuleErrors; the other rules still run', () => {
  const broken: Rule = { ...ruleById['new-identity'], evaluate: () => { throw new Error('boom'); } };
  const { findings, errors } = evaluateRules(everyRuleFires(), [{ rule: broken, params: {} }, { rule: ruleById['stale-identity'], params: { days: -3 } }, { rule: ruleById['orphaned-role-assignment'], params: {} }], context);
  assert.deepEqual(errors.map((error) => [error.name, error.ruleId, error.reason]), [['RuleError', 'new-identity', 'threw'], ['RuleError', 'stale-identity', 'invalid-params']]);
  assert.match(errors[0]!.message, /boom/);
  assert.match(errors[1]!.message, /^days: /);
  assert.deepEqual([...new Set(findings.map((finding) => finding.ruleId))], ['orphaned-role-assignment']);
});

test('the same finding produced twice (duplicate records in the snapshot) is kept once', () => {
  const built = everyRuleFires();
  const duplicated: Snapshot = { ...built, roleAssignments: [...built.roleAssignments, ...built.roleAssignments] };
  const ids = evaluateRules(duplicated, allRules(), context).findings.map((finding) => finding.id);
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(ids.length, evaluateRules(built, allRules(), context).findings.length);
});
