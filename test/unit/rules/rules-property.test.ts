import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SEVERITIES } from '../../../src/model/finding.ts';
import type {
  AppRoleGrantRecord,
  IdentityHolderRecord,
  InventoryGap,
  PrincipalKind,
  PrincipalRecord,
  PrincipalState,
  RoleAssignmentRecord,
  RoleDefinitionRecord,
  Snapshot,
  UserAssignedIdentityRecord,
} from '../../../src/model/snapshot.ts';
import { rules } from '../../../src/rules/catalog/index.ts';
import { evaluateRules } from '../../../src/rules/evaluate.ts';
import { graphPermissionClassifications } from '../../../src/rules/privilege-data.ts';
import { RULE_IDS, type RuleContext } from '../../../src/rules/rule.ts';
import { indexSnapshot } from '../../../src/rules/snapshot-index.ts';
import { AS_OF, builtInRoles } from '../../support/snapshot-builder.ts';
import { SUB_DEV, SUB_PROD, TENANT_ID } from '../../support/ids.ts';

/**
 * Random snapshots that match the types but nothing else: unknown and contradictory principal states,
 * empty lists, ids in any casing, role assignments pointing at missing role definitions, identities
 * pointing at missing resources, unreadable times, garbage scopes. Every rule must answer with findings
 * that keep the contract, never throw, and never accuse a principal whose lookup failed.
 */
const RUNS = 300;

const PRINCIPALS = Array.from({ length: 6 }, (_, n) => `0000000${n}-aaaa-4000-8000-00000000000${n}`);
const CUSTOM_ROLE = 'c0570000-0000-4000-8000-000000000001';
const builtIns = builtInRoles().filter((role) => ['Owner', 'Contributor', 'Reader', 'User Access Administrator', 'Role Based Access Control Administrator', 'Storage Blob Data Owner'].includes(role.roleName));

const anyCase = (text: string) => fc.constantFrom(text, text.toUpperCase(), text.toLowerCase());
const principalId = fc.constantFrom(...PRINCIPALS).chain(anyCase);
const subscriptionId = fc.constantFrom(SUB_PROD, SUB_DEV).chain(anyCase);
const instantText = fc.oneof(
  fc.constant(null),
  fc.constant('not a date'),
  fc.integer({ min: -400 * 24, max: 48 }).map((hours) => new Date(AS_OF.getTime() - hours * 3_600_000).toISOString()),
);
const scope = fc.oneof(
  fc.constant('/'),
  fc.constant('/providers/Microsoft.Management/managementGroups/mg-prod'),
  subscriptionId.map((sub) => `/subscriptions/${sub}`),
  subscriptionId.map((sub) => `/subscriptions/${sub}/resourcegroups/rg-a`),
  subscriptionId.map((sub) => `//subscriptions/${sub}/resourceGroups/rg-a/providers/Microsoft.Web/sites/app/`),
  fc.string({ maxLength: 12 }),
);
const resourceId = fc.oneof(
  subscriptionId.map((sub) => `/subscriptions/${sub}/resourceGroups/rg-a/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u1`),
  subscriptionId.map((sub) => `/subscriptions/${sub}/resourcegroups/RG-A/providers/Microsoft.Web/sites/app`),
  fc.constant('garbage'),
);
const action = fc.constantFrom('*', '*/read', '*/write', '*/*', 'Microsoft.Authorization/*', 'Microsoft.Authorization/roleAssignments/write', 'Microsoft.Compute/*', 'Microsoft.Web/sites/read').chain(anyCase);

const customRole: fc.Arbitrary<RoleDefinitionRecord> = fc.record({
  name: anyCase(CUSTOM_ROLE),
  roleName: fc.constant('random-custom'),
  roleType: fc.constantFrom('CustomRole' as const, 'BuiltInRole' as const),
  assignableScopes: fc.array(scope, { maxLength: 2 }),
  permissions: fc.array(
    fc.record({
      actions: fc.array(action, { maxLength: 3 }),
      notActions: fc.array(action, { maxLength: 2 }),
      dataActions: fc.array(action, { maxLength: 1 }),
      notDataActions: fc.constant([]),
      condition: fc.option(fc.constantFrom('', "@Resource[x] StringEquals 'y'"), { nil: null }),
    }),
    { maxLength: 2 },
  ),
});

const roleDefinitionId = fc.oneof(
  fc.constantFrom(...builtIns.map((role) => role.name), CUSTOM_ROLE, 'ffffffff-0000-4000-8000-00000000dead').chain(anyCase).map((guid) => `/providers/Microsoft.Authorization/roleDefinitions/${guid}`),
  fc.string({ maxLength: 8 }),
);

const assignment: fc.Arbitrary<RoleAssignmentRecord> = fc.record({
  id: fc.uuid().map((guid) => `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleAssignments/${guid}`),
  name: fc.uuid(),
  scope,
  roleDefinitionId,
  principalId,
  principalType: fc.constantFrom('ServicePrincipal', 'User', 'Group', ''),
  condition: fc.option(fc.constantFrom('', '  ', "@Request[x] ForAnyOfAnyValues:GuidEquals {y}"), { nil: null }),
  createdOn: instantText,
  createdBy: fc.constant(null),
});

const kind = fc.constantFrom<PrincipalKind>('managedIdentity', 'application', 'user', 'group', 'other');
const principalRecord = (id: string): fc.Arbitrary<PrincipalRecord> =>
  fc.record({
    id: anyCase(id),
    kind,
    displayName: fc.option(fc.constantFrom('a', 'b'), { nil: null }),
    appId: fc.option(fc.constantFrom(...PRINCIPALS).chain(anyCase), { nil: null }),
    managedIdentityResourceId: fc.option(resourceId, { nil: null }),
    managedIdentityType: fc.constantFrom('systemAssigned' as const, 'userAssigned' as const, null),
  });
const principalState = (id: string): fc.Arbitrary<PrincipalState> =>
  fc.oneof(
    principalRecord(id).map((principal) => ({ state: 'found' as const, principal })),
    fc.record({ state: fc.constant('soft-deleted' as const), displayName: fc.option(fc.constant('old'), { nil: null }), deletedDateTime: instantText }),
    fc.constant({ state: 'absent' as const }),
    fc.constant({ state: 'unknown' as const, reason: 'lookup failed' }),
  );

const uami: fc.Arbitrary<UserAssignedIdentityRecord> = fc.record({
  id: resourceId,
  name: fc.constant('u1'),
  subscriptionId,
  resourceGroup: fc.constant('rg-a'),
  location: fc.constant('westeurope'),
  principalId,
  clientId: fc.constantFrom(...PRINCIPALS),
  createdAt: instantText,
  tags: fc.constant({}),
});

const holder: fc.Arbitrary<IdentityHolderRecord> = fc.record({
  id: resourceId,
  name: fc.constant('app'),
  type: fc.constant('Microsoft.Web/sites'),
  subscriptionId,
  resourceGroup: fc.constant('rg-a'),
  systemAssignedPrincipalId: fc.option(principalId, { nil: null }),
  userAssignedIdentityIds: fc.array(resourceId, { maxLength: 2 }),
  createdAt: instantText,
});

const grant: fc.Arbitrary<AppRoleGrantRecord> = fc.record({
  id: fc.string({ minLength: 1, maxLength: 6 }),
  principalId,
  resourceId: fc.uuid(),
  resourceDisplayName: fc.constantFrom('Microsoft Graph', 'microsoft graph', 'Contoso API', null),
  appRoleId: fc.oneof(fc.constantFrom(...graphPermissionClassifications.map((entry) => entry.appRoleId)).chain(anyCase), fc.uuid()),
  permission: fc.option(fc.constantFrom('RoleManagement.ReadWrite.Directory', 'Mail.Send', 'User.Read.All', 'made.up'), { nil: null }),
  createdDateTime: instantText,
});

const gap: fc.Arbitrary<InventoryGap> = fc.record(
  { area: fc.constantFrom('identities' as const, 'resources' as const, 'signIns' as const, 'principals' as const), scope, reason: fc.constant('random') },
  { requiredKeys: ['area', 'reason'] },
);

const snapshotArbitrary: fc.Arbitrary<Snapshot> = fc
  .record({
    subscriptions: fc.array(fc.record({ subscriptionId, displayName: fc.constant(null), managementGroupChain: fc.array(fc.constantFrom('mg-prod', 'MG-PROD', 'other'), { maxLength: 2 }) }), { maxLength: 2 }),
    customRoles: fc.array(customRole, { maxLength: 2 }),
    roleAssignments: fc.array(assignment, { maxLength: 8 }),
    userAssignedIdentities: fc.array(uami, { maxLength: 3 }),
    identityHolders: fc.array(holder, { maxLength: 3 }),
    managedIdentityPrincipals: fc.array(fc.constantFrom(...PRINCIPALS).chain(principalRecord), { maxLength: 3 }),
    principals: fc.dictionary(principalId, fc.constantFrom(...PRINCIPALS).chain(principalState), { maxKeys: 6 }),
    appRoleGrants: fc.array(grant, { maxLength: 4 }),
    directoryRoleAssignments: fc.array(
      fc.record({
        id: fc.uuid(),
        principalId,
        roleTemplateId: fc.constantFrom('62e90394-69f5-4237-9190-012177145e10', '88d8e3e3-8f55-4a1e-953a-9b9898b8876b', 'not-a-guid').chain(anyCase),
        roleDisplayName: fc.constantFrom('Global Administrator', 'Directory Readers', ''),
        directoryScopeId: fc.constantFrom('/', '/administrativeUnits/x'),
      }),
      { maxLength: 3 },
    ),
    groups: fc.array(fc.record({ id: principalId, displayName: fc.option(fc.constant('g'), { nil: null }) }), { maxLength: 2 }),
    memberOf: fc.dictionary(principalId, fc.array(principalId, { maxLength: 3 }), { maxKeys: 4 }),
    lastSignIns: fc.option(fc.dictionary(fc.constantFrom(...PRINCIPALS).chain(anyCase), instantText.map((at) => at ?? 'garbage'), { maxKeys: 4 }), { nil: null }),
    gaps: fc.array(gap, { maxLength: 2 }),
  })
  .map(({ customRoles, ...rest }) => ({
    tenantId: TENANT_ID,
    takenAt: AS_OF.toISOString(),
    managementGroups: [],
    roleDefinitions: [...builtIns, ...customRoles],
    ...rest,
  }));

const contextArbitrary: fc.Arbitrary<RuleContext> = fc
  .subarray<PrincipalKind>(['application', 'user', 'group', 'other'])
  .map((kinds) => ({ asOf: AS_OF, tenantId: TENANT_ID, workloadKinds: new Set<PrincipalKind>(['managedIdentity', ...kinds]) }));

const FINGERPRINT = /^([a-z-]+):[0-9a-f]{20}$/;
const ORPHAN_RULES = new Set(['orphaned-role-assignment', 'orphaned-identity-principal']);

test(`every rule keeps the finding contract on random snapshots (fast-check, ${RUNS} runs)`, () => {
  const findingsPerRule = new Map<string, number>();
  fc.assert(
    fc.property(snapshotArbitrary, contextArbitrary, (snapshot, context) => {
      const index = indexSnapshot(snapshot);
      for (const rule of rules) {
        const findings = rule.evaluate(index, rule.params.parse({}), context);
        assert.ok(Array.isArray(findings));
        for (const finding of findings) {
          findingsPerRule.set(rule.id, (findingsPerRule.get(rule.id) ?? 0) + 1);
          assert.equal(finding.ruleId, rule.id);
          assert.ok(SEVERITIES.includes(finding.severity), finding.severity);
          assert.equal(FINGERPRINT.exec(finding.id)?.[1], rule.id, finding.id);
          assert.ok(finding.title.length > 0 && finding.description.length > 0);
          assert.deepEqual(JSON.parse(JSON.stringify(finding)), finding, 'plain JSON: no undefined fields, no Dates');
          if (ORPHAN_RULES.has(rule.id)) {
            const state = index.principalState(finding.principalId!)?.state;
            assert.notEqual(state, 'unknown', `${rule.id} accused a principal whose lookup failed`);
            if (rule.id === 'orphaned-role-assignment') assert.ok(state === 'absent' || state === 'soft-deleted', `orphaned-role-assignment on a principal in state ${state}`);
          }
        }
      }
      const evaluation = evaluateRules(snapshot, rules.map((rule) => ({ rule, params: {} })), context);
      assert.deepEqual(evaluation.errors, []);
      assert.equal(new Set(evaluation.findings.map((finding) => finding.id)).size, evaluation.findings.length);
      assert.ok(evaluation.findings.every((finding) => (RULE_IDS as readonly string[]).includes(finding.ruleId)));
      assert.deepEqual(evaluateRules(snapshot, rules.map((rule) => ({ rule, params: {} })), context), evaluation, 'deterministic');
    }),
    { numRuns: RUNS, seed: 20260601 },
  );
  const checked = [...findingsPerRule.values()].reduce((sum, count) => sum + count, 0);
  console.log(`property runs: ${RUNS}, findings checked: ${checked} (${[...findingsPerRule].map(([id, count]) => `${id} ${count}`).join(', ')})`);
  assert.ok(findingsPerRule.get('orphaned-role-assignment') && findingsPerRule.get('orphaned-identity-principal'), 'the orphan invariant was exercised');
});
