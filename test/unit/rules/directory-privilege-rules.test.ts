import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fingerprint } from '../../../src/model/finding.ts';
import { privilegedDirectoryRole } from '../../../src/rules/catalog/privileged-directory-role.ts';
import { privilegedGraphAppRole } from '../../../src/rules/catalog/privileged-graph-app-role.ts';
import { privilegedGroupMembership } from '../../../src/rules/catalog/privileged-group-membership.ts';
import { runRule, snapshot } from '../../support/snapshot-builder.ts';
import { APP_PRINCIPAL, HUMAN_ADMIN, MG_PROD, SUB_PROD, UAMI_ID, UAMI_PRINCIPAL } from '../../support/ids.ts';

const GROUP_OUTER = '90000000-0000-4000-8000-000000000001';
const GROUP_INNER = '90000000-0000-4000-8000-000000000002';
const SUB_SCOPE = `/subscriptions/${SUB_PROD}`;
const RG_SCOPE = `/subscriptions/${SUB_PROD}/resourceGroups/rg-app`;
const withApplications = { workloadKinds: new Set(['managedIdentity', 'application'] as const) };

const uami = () => snapshot().userAssignedIdentity(UAMI_ID, UAMI_PRINCIPAL);

// --- privileged-graph-app-role --------------------------------------------------------------------

test('privileged-graph-app-role: a managed identity with RoleManagement.ReadWrite.Directory is critical, Mail.Send high', () => {
  const built = uami().grant(UAMI_PRINCIPAL, 'RoleManagement.ReadWrite.Directory').grant(UAMI_PRINCIPAL, 'Mail.Send').grant(UAMI_PRINCIPAL, 'Directory.Read.All').build();
  const findings = runRule(privilegedGraphAppRole, built);
  assert.deepEqual(findings.map((finding) => [finding.graphPermission, finding.severity]), [['RoleManagement.ReadWrite.Directory', 'critical'], ['Mail.Send', 'high']]);
  const grant = built.appRoleGrants[0]!;
  assert.equal(findings[0]!.id, fingerprint('privileged-graph-app-role', UAMI_PRINCIPAL, grant.resourceId, grant.appRoleId));
  assert.equal(findings[0]!.appRoleAssignmentId, grant.id);
  assert.equal(findings[0]!.identityResourceId, UAMI_ID);
  assert.equal(findings[0]!.subscriptionId, SUB_PROD);
  assert.equal(findings[0]!.evidence.tier, 'critical');
});

test('privileged-graph-app-role: recognised by app-role id when the inventory did not resolve the value', () => {
  const byName = uami().grant(UAMI_PRINCIPAL, 'Application.ReadWrite.All', { resolved: false }).build();
  assert.equal(runRule(privilegedGraphAppRole, byName)[0]?.graphPermission, 'Application.ReadWrite.All');
  const unnamed = uami().grant(UAMI_PRINCIPAL, 'Application.ReadWrite.All', { resolved: false, resourceDisplayName: null }).build();
  assert.equal(runRule(privilegedGraphAppRole, unnamed).length, 1, 'resource name unknown: the Graph id decides');
  const otherApi = uami().grant(UAMI_PRINCIPAL, 'Application.ReadWrite.All', { resolved: false, resourceDisplayName: 'Contoso Payroll API' }).build();
  assert.equal(runRule(privilegedGraphAppRole, otherApi).length, 0, 'same id on another API is not Graph');
});

test('privileged-graph-app-role: tiers and extraPermissions parameters', () => {
  const built = uami().grant(UAMI_PRINCIPAL, 'Mail.Send').grant(UAMI_PRINCIPAL, 'Calendars.ReadWrite').grant(UAMI_PRINCIPAL, 'AppRoleAssignment.ReadWrite.All').build();
  assert.deepEqual(runRule(privilegedGraphAppRole, built, { tiers: ['critical'] }).map((finding) => finding.graphPermission), ['AppRoleAssignment.ReadWrite.All']);
  const withExtra = runRule(privilegedGraphAppRole, built, { extraPermissions: ['calendars.readwrite'] });
  assert.deepEqual(withExtra.map((finding) => [finding.graphPermission, finding.severity, finding.evidence.tier]), [
    ['Mail.Send', 'high', 'high'],
    ['Calendars.ReadWrite', 'high', 'extra'],
    ['AppRoleAssignment.ReadWrite.All', 'critical', 'critical'],
  ]);
});

test('privileged-graph-app-role: applications only when the policy includes them; users never', () => {
  const app = snapshot().principal(APP_PRINCIPAL, 'application', 'ci').grant(APP_PRINCIPAL, 'Directory.ReadWrite.All').build();
  assert.equal(runRule(privilegedGraphAppRole, app).length, 0);
  assert.equal(runRule(privilegedGraphAppRole, app, {}, withApplications)[0]?.principalType, 'Application');
  const unknown = snapshot().grant(APP_PRINCIPAL, 'Directory.ReadWrite.All').build();
  assert.equal(runRule(privilegedGraphAppRole, unknown, {}, withApplications).length, 0, 'principal of unknown kind');
});

// --- privileged-directory-role ---------------------------------------------------------------------

test('privileged-directory-role: Global Administrator is critical, Application Administrator high, Groups Administrator quiet', () => {
  const built = uami().directoryRole(UAMI_PRINCIPAL, 'Global Administrator').directoryRole(UAMI_PRINCIPAL, 'Application Administrator', '/administrativeUnits/au1').directoryRole(UAMI_PRINCIPAL, 'Groups Administrator').build();
  const findings = runRule(privilegedDirectoryRole, built);
  assert.deepEqual(findings.map((finding) => [finding.directoryRole, finding.severity, finding.evidence.directoryScopeId]), [
    ['Global Administrator', 'critical', '/'],
    ['Application Administrator', 'high', '/administrativeUnits/au1'],
  ]);
  assert.equal(findings[0]!.id, fingerprint('privileged-directory-role', UAMI_PRINCIPAL, '62e90394-69f5-4237-9190-012177145e10', '/'));
  assert.equal(runRule(privilegedDirectoryRole, built, { extraRoles: ['Groups Administrator'] }).length, 3, 'extraRoles');
});

test('privileged-directory-role: a human Global Administrator is not a workload identity', () => {
  const built = snapshot().principal(HUMAN_ADMIN, 'user', 'Ops Admin').directoryRole(HUMAN_ADMIN, 'Global Administrator').build();
  assert.equal(runRule(privilegedDirectoryRole, built, {}, withApplications).length, 0);
});

// --- privileged-group-membership -------------------------------------------------------------------

test('privileged-group-membership: a nested member of a group with Owner at subscription and a privileged directory role', () => {
  const built = uami()
    .group(GROUP_INNER, 'deployers', [UAMI_PRINCIPAL])
    .group(GROUP_OUTER, 'platform-admins', [GROUP_INNER])
    .assign(GROUP_OUTER, 'Owner', SUB_SCOPE, { principalType: 'Group' })
    .assign(GROUP_OUTER, 'Contributor', RG_SCOPE, { principalType: 'Group' })
    .assign(GROUP_INNER, 'Reader', SUB_SCOPE, { principalType: 'Group' })
    .directoryRole(GROUP_OUTER, 'Privileged Role Administrator')
    .build();
  const findings = runRule(privilegedGroupMembership, built);
  assert.equal(findings.length, 2, 'Owner at subscription and the directory role; not Contributor at a resource group nor Reader');
  const [azure, directory] = findings;
  assert.equal(azure!.groupId, GROUP_OUTER);
  assert.equal(azure!.roleName, 'Owner');
  assert.equal(azure!.severity, 'high');
  assert.equal(azure!.principalId, UAMI_PRINCIPAL);
  assert.equal(azure!.id, fingerprint('privileged-group-membership', UAMI_PRINCIPAL, GROUP_OUTER, built.roleAssignments.find((a) => a.principalId === GROUP_OUTER)!.id));
  assert.deepEqual(azure!.evidence.membership, { transitive: true, intermediateGroups: [GROUP_INNER] });
  assert.equal(directory!.directoryRole, 'Privileged Role Administrator');
  assert.equal(directory!.severity, 'critical');
  assert.equal(directory!.groupId, GROUP_OUTER);
});

test('privileged-group-membership: human members and narrow grants are quiet; management group is critical', () => {
  const human = snapshot().principal(HUMAN_ADMIN, 'user').group(GROUP_OUTER, 'admins', [HUMAN_ADMIN]).assign(GROUP_OUTER, 'Owner', SUB_SCOPE, { principalType: 'Group' }).build();
  assert.equal(runRule(privilegedGroupMembership, human, {}, withApplications).length, 0);
  const mg = uami().group(GROUP_OUTER, 'admins', [UAMI_PRINCIPAL]).assign(GROUP_OUTER, 'User Access Administrator', `/providers/Microsoft.Management/managementGroups/${MG_PROD}`, { principalType: 'Group' }).build();
  assert.equal(runRule(privilegedGroupMembership, mg)[0]?.severity, 'critical');
  const narrow = uami().group(GROUP_OUTER, 'admins', [UAMI_PRINCIPAL]).assign(GROUP_OUTER, 'Owner', RG_SCOPE, { principalType: 'Group' }).build();
  assert.equal(runRule(privilegedGroupMembership, narrow).length, 0);
  assert.equal(runRule(privilegedGroupMembership, narrow, { scopes: ['resourceGroup'] }).length, 1, 'scopes widen it');
});
