import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fingerprint } from '../../../src/model/finding.ts';
import { customRoleWildcard } from '../../../src/rules/catalog/custom-role-wildcard.ts';
import { privilegedRoleBroadScope } from '../../../src/rules/catalog/privileged-role-broad-scope.ts';
import { unconstrainedRoleDelegation } from '../../../src/rules/catalog/unconstrained-role-delegation.ts';
import { runRule, snapshot } from '../../support/snapshot-builder.ts';
import { APP_PRINCIPAL, HUMAN_ADMIN, MG_PROD, SUB_DEV, SUB_PROD, UAMI_ID, UAMI_PRINCIPAL } from '../../support/ids.ts';

const SUB_SCOPE = `/subscriptions/${SUB_PROD}`;
const RG_SCOPE = `/subscriptions/${SUB_PROD}/resourceGroups/rg-app`;
const MG_SCOPE = `/providers/Microsoft.Management/managementGroups/${MG_PROD}`;
const CUSTOM_ROLE = 'c0570000-0000-4000-8000-000000000001';
const ABAC_CONDITION =
  "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {acdd72a7-3385-48ef-bd42-f606fba81ae7}))";

const uami = () => snapshot().userAssignedIdentity(UAMI_ID, UAMI_PRINCIPAL);

// --- privileged-role-broad-scope ------------------------------------------------------------------

test('privileged-role-broad-scope: Contributor at subscription fires high with the permissions that make it privileged and a downscope proposal', () => {
  const built = uami().assign(UAMI_PRINCIPAL, 'Contributor', SUB_SCOPE).build();
  const [finding, ...rest] = runRule(privilegedRoleBroadScope, built);
  assert.equal(rest.length, 0);
  const assignment = built.roleAssignments[0]!;
  assert.equal(finding!.id, fingerprint('privileged-role-broad-scope', assignment.id));
  assert.equal(finding!.severity, 'high');
  assert.equal(finding!.roleName, 'Contributor');
  assert.equal(finding!.roleAssignmentId, assignment.id);
  assert.equal(finding!.roleDefinitionId, assignment.roleDefinitionId);
  assert.equal(finding!.subscriptionId, SUB_PROD);
  assert.equal(finding!.identityResourceId, UAMI_ID);
  assert.equal(finding!.evidence.scopeLevel, 'subscription');
  assert.deepEqual(finding!.evidence.privilegedBecause, [{ grants: 'write on any resource type', grantedBy: ['*'] }]);
  assert.deepEqual(finding!.evidence.downscope, { proposedScopes: [RG_SCOPE] });
});

test('privileged-role-broad-scope: severity critical at management group and root; remove mode proposes no scope', () => {
  const built = uami().assign(UAMI_PRINCIPAL, 'User Access Administrator', MG_SCOPE).assign(UAMI_PRINCIPAL, 'Owner', '/').build();
  const findings = runRule(privilegedRoleBroadScope, built, { remediation: 'remove' });
  assert.deepEqual(findings.map((finding) => [finding.evidence.scopeLevel, finding.severity]), [['managementGroup', 'critical'], ['root', 'critical']]);
  assert.equal(findings[0]!.subscriptionId, undefined, 'no subscription at management-group scope');
  assert.equal(findings[0]!.evidence.downscope, undefined);
  assert.equal(findings[0]!.evidence.remediation, 'remove');
});

test('privileged-role-broad-scope: under a management group, downscope only when the subscription chain shows the resource group below it', () => {
  const atMg = (configure: (b: ReturnType<typeof snapshot>) => unknown) => {
    const builder = uami().assign(UAMI_PRINCIPAL, 'Owner', MG_SCOPE);
    configure(builder);
    return runRule(privilegedRoleBroadScope, builder.build())[0]!.evidence.downscope as { proposedScopes: string[]; blockedBecause?: string };
  };
  assert.deepEqual(atMg((b) => b.subscription(SUB_PROD, [MG_PROD.toUpperCase(), 'tenant-root'])), { proposedScopes: [RG_SCOPE] });
  assert.match(atMg((b) => b.subscription(SUB_PROD, ['mg-other'])).blockedBecause!, /not within/);
  assert.match(atMg(() => {}).blockedBecause!, /cannot tell/);
});

test('privileged-role-broad-scope: no downscope into a resource group outside the assignment scope, nor for an identity without one', () => {
  const elsewhere = uami().assign(UAMI_PRINCIPAL, 'Owner', `/subscriptions/${SUB_DEV}`).build();
  const [finding] = runRule(privilegedRoleBroadScope, elsewhere);
  assert.deepEqual((finding!.evidence.downscope as { proposedScopes: string[] }).proposedScopes, []);
  assert.match(String((finding!.evidence.downscope as { blockedBecause: string }).blockedBecause), /not within/);
  const app = snapshot().principal(APP_PRINCIPAL, 'application', 'ci').assign(APP_PRINCIPAL, 'Owner', SUB_SCOPE).build();
  const [appFinding] = runRule(privilegedRoleBroadScope, app, {}, { workloadKinds: new Set(['managedIdentity', 'application']) });
  assert.equal(appFinding!.principalType, 'Application');
  assert.deepEqual((appFinding!.evidence.downscope as { proposedScopes: string[] }).proposedScopes, []);
});

test('privileged-role-broad-scope: Reader at subscription, Contributor at resource group, data owners, users and unknown roles are quiet', () => {
  assert.equal(runRule(privilegedRoleBroadScope, uami().assign(UAMI_PRINCIPAL, 'Reader', SUB_SCOPE).build()).length, 0, 'Reader');
  assert.equal(runRule(privilegedRoleBroadScope, uami().assign(UAMI_PRINCIPAL, 'Contributor', RG_SCOPE).build()).length, 0, 'resource-group scope');
  assert.equal(runRule(privilegedRoleBroadScope, uami().assign(UAMI_PRINCIPAL, 'Storage Blob Data Owner', SUB_SCOPE).build()).length, 0, 'data plane');
  assert.equal(runRule(privilegedRoleBroadScope, uami().assign(UAMI_PRINCIPAL, '11111111-0000-4000-8000-00000000dead', SUB_SCOPE).build()).length, 0, 'role not in snapshot');
  const human = snapshot().principal(HUMAN_ADMIN, 'user').assign(HUMAN_ADMIN, 'Owner', SUB_SCOPE, { principalType: 'User' }).build();
  assert.equal(runRule(privilegedRoleBroadScope, human, {}, { workloadKinds: new Set(['managedIdentity', 'application']) }).length, 0, 'a user');
  const app = snapshot().principal(APP_PRINCIPAL, 'application').assign(APP_PRINCIPAL, 'Owner', SUB_SCOPE).build();
  assert.equal(runRule(privilegedRoleBroadScope, app).length, 0, 'applications only when the policy includes them');
  const unknownKind = snapshot().assign(APP_PRINCIPAL, 'Owner', SUB_SCOPE).principalState(APP_PRINCIPAL, { state: 'unknown', reason: 'throttled' }).build();
  assert.equal(runRule(privilegedRoleBroadScope, unknownKind, {}, { workloadKinds: new Set(['managedIdentity', 'application']) }).length, 0, 'unknown kind');
  assert.equal(runRule(privilegedRoleBroadScope, uami().assign(UAMI_PRINCIPAL, 'Contributor', RG_SCOPE).build(), { scopes: ['resourceGroup'] }).length, 1, 'scopes widen it');
});

test('privileged-role-broad-scope: a custom role is judged by its permissions, whatever its name', () => {
  const built = uami().customRole(CUSTOM_ROLE, 'read-only-helper', [{ actions: ['Microsoft.Authorization/roleAssignments/write', '*/read'] }]).assign(UAMI_PRINCIPAL, CUSTOM_ROLE, SUB_SCOPE).build();
  const [finding] = runRule(privilegedRoleBroadScope, built);
  assert.equal(finding!.roleName, 'read-only-helper');
  assert.deepEqual(finding!.evidence.privilegedBecause, [{ grants: 'Microsoft.Authorization/roleAssignments/write', grantedBy: ['Microsoft.Authorization/roleAssignments/write'] }]);
});

// --- unconstrained-role-delegation ------------------------------------------------------------------

test('unconstrained-role-delegation: UAA, RBAC Administrator, Owner and a custom roleAssignments/write role fire at any scope', () => {
  const built = uami()
    .customRole(CUSTOM_ROLE, 'assigner', [{ actions: ['Microsoft.Authorization/roleAssignments/write'] }])
    .assign(UAMI_PRINCIPAL, 'User Access Administrator', SUB_SCOPE)
    .assign(UAMI_PRINCIPAL, 'Role Based Access Control Administrator', RG_SCOPE)
    .assign(UAMI_PRINCIPAL, 'Owner', MG_SCOPE)
    .assign(UAMI_PRINCIPAL, CUSTOM_ROLE, `${RG_SCOPE}/providers/Microsoft.Web/sites/app1`)
    .build();
  const findings = runRule(unconstrainedRoleDelegation, built);
  assert.deepEqual(findings.map((finding) => [finding.roleName, finding.severity]), [
    ['User Access Administrator', 'high'],
    ['Role Based Access Control Administrator', 'medium'],
    ['Owner', 'critical'],
    ['assigner', 'medium'],
  ]);
  assert.deepEqual(findings[1]!.evidence.grantedBy, ['Microsoft.Authorization/roleAssignments/write']);
  assert.equal(findings[0]!.id, fingerprint('unconstrained-role-delegation', built.roleAssignments[0]!.id));
});

test('unconstrained-role-delegation: an ABAC condition on the assignment or the role, and Contributor, are quiet', () => {
  assert.equal(runRule(unconstrainedRoleDelegation, uami().assign(UAMI_PRINCIPAL, 'Role Based Access Control Administrator', SUB_SCOPE, { condition: ABAC_CONDITION }).build()).length, 0, 'conditioned assignment');
  assert.equal(runRule(unconstrainedRoleDelegation, uami().assign(UAMI_PRINCIPAL, 'Role Based Access Control Administrator', SUB_SCOPE, { condition: '   ' }).build()).length, 1, 'a blank condition is no condition');
  const conditionedRole = uami().customRole(CUSTOM_ROLE, 'assigner', [{ actions: ['Microsoft.Authorization/roleAssignments/write'], condition: ABAC_CONDITION }]).assign(UAMI_PRINCIPAL, CUSTOM_ROLE, SUB_SCOPE);
  assert.equal(runRule(unconstrainedRoleDelegation, conditionedRole.build()).length, 0, 'conditioned permission block');
  assert.equal(runRule(unconstrainedRoleDelegation, uami().assign(UAMI_PRINCIPAL, 'Contributor', SUB_SCOPE).build()).length, 0, 'Contributor cannot write role assignments');
});

// --- custom-role-wildcard -----------------------------------------------------------------------------

test('custom-role-wildcard: a custom role with wildcard actions assigned to a managed identity fires; privileged ones are high', () => {
  const built = uami()
    .customRole(CUSTOM_ROLE, 'ops-everything', [{ actions: ['*'] }])
    .customRole('c0570000-0000-4000-8000-000000000002', 'compute-ops', [{ actions: ['Microsoft.Compute/*', '*/read'] }])
    .assign(UAMI_PRINCIPAL, CUSTOM_ROLE, RG_SCOPE)
    .assign(UAMI_PRINCIPAL, 'compute-ops', RG_SCOPE)
    .build();
  const findings = runRule(customRoleWildcard, built);
  assert.deepEqual(findings.map((finding) => [finding.roleName, finding.severity, finding.evidence.wildcardActions]), [
    ['ops-everything', 'high', ['*']],
    ['compute-ops', 'medium', ['Microsoft.Compute/*']],
  ]);
});

test('custom-role-wildcard: read-only wildcards, wildcards only in notActions, built-in roles and listed actions are quiet', () => {
  const role = (permissions: Parameters<ReturnType<typeof snapshot>['customRole']>[2]) => runRule(customRoleWildcard, uami().customRole(CUSTOM_ROLE, 'r', permissions).assign(UAMI_PRINCIPAL, CUSTOM_ROLE, RG_SCOPE).build()).length;
  assert.equal(role([{ actions: ['*/read', 'Microsoft.Insights/*/read'] }]), 0, 'read-only wildcards');
  assert.equal(role([{ actions: ['Microsoft.Web/sites/write'], notActions: ['*'] }]), 0, 'wildcard only in notActions');
  assert.equal(role([{ actions: ['Microsoft.Web/sites/write', 'Microsoft.Web/sites/read'] }]), 0, 'listed actions');
  assert.equal(role([{ dataActions: ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*'] }]), 1, 'data-plane wildcard counts by default');
  assert.equal(
    runRule(customRoleWildcard, uami().customRole(CUSTOM_ROLE, 'r', [{ dataActions: ['Microsoft.Storage/*'] }]).assign(UAMI_PRINCIPAL, CUSTOM_ROLE, RG_SCOPE).build(), { includeDataActions: false }).length,
    0,
    'unless includeDataActions is off',
  );
  assert.equal(runRule(customRoleWildcard, uami().assign(UAMI_PRINCIPAL, 'Owner', RG_SCOPE).build()).length, 0, 'built-in Owner is not a custom role');
});

test('a custom role with Microsoft.Authorization/roleAssignments/write is privileged and an unconstrained delegation', () => {
  const built = uami().customRole(CUSTOM_ROLE, 'assigner', [{ actions: ['Microsoft.Authorization/roleAssignments/write', '*/read'] }]).assign(UAMI_PRINCIPAL, CUSTOM_ROLE, SUB_SCOPE).build();
  assert.equal(runRule(privilegedRoleBroadScope, built).length, 1);
  assert.equal(runRule(unconstrainedRoleDelegation, built).length, 1);
  assert.equal(runRule(customRoleWildcard, built).length, 0, '*/read is not a widening wildcard');
});
