import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fingerprint } from '../../../src/model/finding.ts';
import { newIdentity } from '../../../src/rules/catalog/new-identity.ts';
import { orphanedIdentityPrincipal } from '../../../src/rules/catalog/orphaned-identity-principal.ts';
import { orphanedRoleAssignment } from '../../../src/rules/catalog/orphaned-role-assignment.ts';
import { staleIdentity } from '../../../src/rules/catalog/stale-identity.ts';
import { unattachedUserAssignedIdentity } from '../../../src/rules/catalog/unattached-user-assigned-identity.ts';
import { AS_OF, appIdOf, daysBefore, hoursBefore, runRule, snapshot } from '../../support/snapshot-builder.ts';
import { APP_PRINCIPAL, DELETED_PRINCIPAL, HUMAN_ADMIN, SUB_DEV, SUB_PROD, UAMI_ID, UAMI_PRINCIPAL, WEB_APP_ID } from '../../support/ids.ts';

const SYSTEM_PRINCIPAL = '5a000000-0000-4000-8000-000000000001';
const RG_SCOPE = `/subscriptions/${SUB_PROD}/resourceGroups/rg-app`;
const VM_ID = `/subscriptions/${SUB_PROD}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm1`;

// --- new-identity -------------------------------------------------------------------------------

test('new-identity: a user-assigned identity created within the window fires, with its facts', () => {
  const built = snapshot().userAssignedIdentity(UAMI_ID, UAMI_PRINCIPAL, { createdAt: hoursBefore(3) }).build();
  const [finding, ...rest] = runRule(newIdentity, built);
  assert.equal(rest.length, 0);
  assert.equal(finding!.id, fingerprint('new-identity', UAMI_ID, UAMI_PRINCIPAL));
  assert.equal(finding!.identityResourceId, UAMI_ID);
  assert.equal(finding!.principalId, UAMI_PRINCIPAL);
  assert.equal(finding!.principalType, 'ManagedIdentity');
  assert.equal(finding!.subscriptionId, SUB_PROD);
  assert.equal(finding!.scope, UAMI_ID);
  assert.equal(finding!.evidence.identityType, 'userAssigned');
  assert.equal(finding!.evidence.ageHours, 3);
});

test('new-identity: a resource with a system-assigned identity created within the window fires', () => {
  const built = snapshot().resource(VM_ID, { systemAssignedPrincipalId: SYSTEM_PRINCIPAL, createdAt: hoursBefore(1) }).build();
  const findings = runRule(newIdentity, built);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]!.evidence.identityType, 'systemAssigned');
  assert.equal(findings[0]!.identityResourceId, VM_ID);
});

test('new-identity: the window boundaries are inclusive; older, future and unknown creation times are quiet', () => {
  const at = (createdAt: string | null, withinHours?: number) =>
    runRule(newIdentity, snapshot().userAssignedIdentity(UAMI_ID, UAMI_PRINCIPAL, { createdAt }).build(), withinHours ? { withinHours } : {}).length;
  assert.equal(at(hoursBefore(24)), 1, 'exactly 24 hours ago');
  assert.equal(at(AS_OF.toISOString()), 1, 'at asOf');
  assert.equal(at(hoursBefore(24.01)), 0, 'just outside the window');
  assert.equal(at(hoursBefore(-1)), 0, 'created after asOf');
  assert.equal(at(null), 0, 'unknown creation time');
  assert.equal(at('yesterday-ish'), 0, 'unreadable creation time');
  assert.equal(at(hoursBefore(40), 48), 1, 'withinHours widens the window');
  assert.equal(runRule(newIdentity, snapshot().resource(VM_ID, { createdAt: hoursBefore(1) }).build()).length, 0, 'a new resource without identity');
});

// --- orphaned-role-assignment -------------------------------------------------------------------

test('orphaned-role-assignment: an absent principal past the grace period fires, remediation allowed', () => {
  const built = snapshot().assign(DELETED_PRINCIPAL, 'Reader', RG_SCOPE, { createdOn: hoursBefore(48) }).principalState(DELETED_PRINCIPAL, { state: 'absent' }).build();
  const [finding] = runRule(orphanedRoleAssignment, built);
  const assignment = built.roleAssignments[0]!;
  assert.equal(finding!.id, fingerprint('orphaned-role-assignment', assignment.id));
  assert.equal(finding!.severity, 'medium');
  assert.equal(finding!.roleAssignmentId, assignment.id);
  assert.equal(finding!.roleName, 'Reader');
  assert.equal(finding!.scope, RG_SCOPE);
  assert.equal(finding!.subscriptionId, SUB_PROD);
  assert.equal(finding!.principalType, 'ServicePrincipal', 'ARM principalType when the directory has no record');
  assert.equal(finding!.evidence.principalState, 'absent');
  assert.equal(finding!.evidence.remediationBlocked, undefined);
  assert.equal(finding!.evidence.scopeLevel, 'resourceGroup');
});

test('orphaned-role-assignment: applies to every principal type (a deleted user at subscription scope)', () => {
  const built = snapshot().assign(HUMAN_ADMIN, 'Owner', `/subscriptions/${SUB_PROD}`, { principalType: 'User' }).principalState(HUMAN_ADMIN, { state: 'absent' }).build();
  const findings = runRule(orphanedRoleAssignment, built);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]!.principalType, 'User');
});

test('orphaned-role-assignment: a soft-deleted principal gives a low finding that blocks remediation until it can no longer be restored', () => {
  const built = snapshot()
    .assign(DELETED_PRINCIPAL, 'Contributor', RG_SCOPE, { createdOn: hoursBefore(1) })
    .principalState(DELETED_PRINCIPAL, { state: 'soft-deleted', displayName: 'old-app', deletedDateTime: '2026-05-20T00:00:00Z' })
    .build();
  const [finding] = runRule(orphanedRoleAssignment, built);
  assert.equal(finding!.severity, 'low');
  assert.equal(finding!.principalDisplayName, 'old-app');
  assert.equal(finding!.evidence.principalState, 'soft-deleted');
  assert.equal(finding!.evidence.restorableUntil, '2026-06-19T00:00:00.000Z');
  assert.match(String(finding!.evidence.remediationBlocked), /soft-deleted and restorable until 2026-06-19/);
});

test('orphaned-role-assignment: unknown, missing, found, young or undated principals are never findings', () => {
  const one = (configure: (b: ReturnType<typeof snapshot>) => unknown, createdOn: string | null = hoursBefore(48)) => {
    const builder = snapshot().assign(DELETED_PRINCIPAL, 'Reader', RG_SCOPE, { createdOn });
    configure(builder);
    return runRule(orphanedRoleAssignment, builder.build()).length;
  };
  assert.equal(one((b) => b.principalState(DELETED_PRINCIPAL, { state: 'unknown', reason: 'Graph 503' })), 0, 'lookup failed');
  assert.equal(one(() => {}), 0, 'principal not in the snapshot at all');
  assert.equal(one((b) => b.principal(DELETED_PRINCIPAL, 'application')), 0, 'principal exists');
  assert.equal(one((b) => b.principalState(DELETED_PRINCIPAL, { state: 'absent' }), hoursBefore(23)), 0, 'inside the grace period');
  assert.equal(one((b) => b.principalState(DELETED_PRINCIPAL, { state: 'absent' }), hoursBefore(24)), 1, 'at the end of the grace period');
  assert.equal(one((b) => b.principalState(DELETED_PRINCIPAL, { state: 'absent' }), null), 0, 'creation time unknown');
  const listedByGraph = snapshot().userAssignedIdentity(UAMI_ID, UAMI_PRINCIPAL).assign(UAMI_PRINCIPAL, 'Reader', RG_SCOPE).principalState(UAMI_PRINCIPAL, { state: 'absent' });
  assert.equal(runRule(orphanedRoleAssignment, listedByGraph.build()).length, 0, 'Graph still lists it as a managed identity');
});

// --- unattached-user-assigned-identity ------------------------------------------------------------

test('unattached-user-assigned-identity: an identity used by nothing, past the grace period, in a complete subscription fires', () => {
  const built = snapshot().subscription(SUB_PROD).userAssignedIdentity(UAMI_ID, UAMI_PRINCIPAL, { createdAt: daysBefore(8) }).assign(UAMI_PRINCIPAL, 'Contributor', RG_SCOPE).build();
  const [finding] = runRule(unattachedUserAssignedIdentity, built);
  assert.equal(finding!.id, fingerprint('unattached-user-assigned-identity', UAMI_ID));
  assert.equal(finding!.identityResourceId, UAMI_ID);
  assert.equal(finding!.evidence.consumerCount, 0);
  assert.equal(finding!.evidence.roleAssignmentCount, 1);
});

test('unattached-user-assigned-identity: attached, young, gapped, unswept or undated identities are quiet', () => {
  const base = () => snapshot().subscription(SUB_PROD).userAssignedIdentity(UAMI_ID, UAMI_PRINCIPAL, { createdAt: daysBefore(30) });
  assert.equal(runRule(unattachedUserAssignedIdentity, base().resource(WEB_APP_ID, { userAssigned: [UAMI_ID.toLowerCase()] }).build()).length, 0, 'attached (other casing)');
  assert.equal(runRule(unattachedUserAssignedIdentity, base().build(), { graceHours: 24 * 31 }).length, 0, 'inside the grace period');
  assert.equal(runRule(unattachedUserAssignedIdentity, base().gap('resources', `/subscriptions/${SUB_PROD}`).build()).length, 0, 'resources gap');
  assert.equal(runRule(unattachedUserAssignedIdentity, base().gap('identities').build()).length, 0, 'tenant-wide identities gap');
  assert.equal(runRule(unattachedUserAssignedIdentity, base().gap('resources', `/subscriptions/${SUB_DEV}`).build()).length, 1, 'a gap elsewhere does not matter');
  const unswept = snapshot().userAssignedIdentity(UAMI_ID, UAMI_PRINCIPAL, { createdAt: daysBefore(30) }).build();
  assert.equal(runRule(unattachedUserAssignedIdentity, unswept).length, 0, 'subscription not swept');
  const undated = snapshot().subscription(SUB_PROD).userAssignedIdentity(UAMI_ID, UAMI_PRINCIPAL, { createdAt: null }).build();
  assert.equal(runRule(unattachedUserAssignedIdentity, undated).length, 0, 'unknown age');
  const [finding] = runRule(unattachedUserAssignedIdentity, undated, { treatUnknownAgeAsOld: true });
  assert.equal(finding!.evidence.ageUnknownTreatedAsOld, true);
});

// --- orphaned-identity-principal ------------------------------------------------------------------

test('orphaned-identity-principal: a managed identity whose resource is gone from a fully swept subscription fires', () => {
  const built = snapshot().subscription(SUB_PROD).managedIdentityPrincipal(SYSTEM_PRINCIPAL, VM_ID, 'systemAssigned', { displayName: 'vm1' }).assign(SYSTEM_PRINCIPAL, 'Reader', RG_SCOPE).build();
  const [finding, ...rest] = runRule(orphanedIdentityPrincipal, built);
  assert.equal(rest.length, 0);
  assert.equal(finding!.id, fingerprint('orphaned-identity-principal', SYSTEM_PRINCIPAL));
  assert.equal(finding!.identityResourceId, VM_ID);
  assert.equal(finding!.principalDisplayName, 'vm1');
  assert.equal((finding!.evidence.roleAssignmentIds as string[]).length, 1);
});

test('orphaned-identity-principal: quiet while the resource exists, or when its subscription was not fully read', () => {
  const orphanIn = (configure: (b: ReturnType<typeof snapshot>) => unknown) => {
    const builder = snapshot().subscription(SUB_PROD).managedIdentityPrincipal(SYSTEM_PRINCIPAL, VM_ID, 'systemAssigned');
    configure(builder);
    return runRule(orphanedIdentityPrincipal, builder.build()).length;
  };
  assert.equal(orphanIn((b) => b.resource(VM_ID.toUpperCase())), 0, 'resource exists (other casing)');
  assert.equal(orphanIn((b) => b.resource(`${VM_ID}-renamed`, { systemAssignedPrincipalId: SYSTEM_PRINCIPAL })), 0, 'a resource claims the principal');
  assert.equal(orphanIn((b) => b.gap('resources', RG_SCOPE)), 0, 'resources gap');
  const unswept = snapshot().managedIdentityPrincipal(SYSTEM_PRINCIPAL, VM_ID, 'systemAssigned').build();
  assert.equal(runRule(orphanedIdentityPrincipal, unswept).length, 0, 'subscription not swept');
  const noResource = snapshot().subscription(SUB_PROD).managedIdentityPrincipal(SYSTEM_PRINCIPAL, null, 'systemAssigned').build();
  assert.equal(runRule(orphanedIdentityPrincipal, noResource).length, 0, 'resource id unknown');
  assert.equal(runRule(orphanedIdentityPrincipal, snapshot().subscription(SUB_PROD).userAssignedIdentity(UAMI_ID, UAMI_PRINCIPAL).build()).length, 0, 'user-assigned identity exists');
});

// --- stale-identity -------------------------------------------------------------------------------

test('stale-identity: last sign-in older than the threshold, while holding a role, fires', () => {
  const builder = snapshot().userAssignedIdentity(UAMI_ID, UAMI_PRINCIPAL).assign(UAMI_PRINCIPAL, 'Reader', RG_SCOPE);
  const appId = appIdOf(builder.build(), UAMI_PRINCIPAL)!;
  const [finding] = runRule(staleIdentity, builder.signIn(appId, daysBefore(91)).build());
  assert.equal(finding!.id, fingerprint('stale-identity', UAMI_PRINCIPAL));
  assert.equal(finding!.evidence.daysSinceSignIn, 91);
  assert.equal(finding!.evidence.neverSignedIn, false);
  assert.equal(runRule(staleIdentity, builder.signIn(appId, daysBefore(89)).build()).length, 0, 'signed in recently');
  assert.equal(runRule(staleIdentity, builder.signIn(appId, daysBefore(90)).build()).length, 1, 'exactly the threshold');
  assert.equal(runRule(staleIdentity, builder.signIn(appId, daysBefore(40)).build(), { days: 30 }).length, 1, 'days parameter');
  assert.equal(runRule(staleIdentity, builder.signIn(appId, hoursBefore(-5)).build()).length, 0, 'signed in after asOf');
});

test('stale-identity: never signed in counts from creation; unknown creation, unreadable or partial sign-ins are quiet', () => {
  const never = (createdAt: string | null) => snapshot().resource(VM_ID, { systemAssignedPrincipalId: SYSTEM_PRINCIPAL, createdAt }).assign(SYSTEM_PRINCIPAL, 'Reader', RG_SCOPE);
  const [finding] = runRule(staleIdentity, never(daysBefore(200)).build());
  assert.equal(finding!.evidence.neverSignedIn, true);
  assert.equal(finding!.evidence.createdAt, daysBefore(200));
  assert.equal(runRule(staleIdentity, never(daysBefore(20)).build()).length, 0, 'created recently');
  assert.equal(runRule(staleIdentity, never(null).build()).length, 0, 'creation unknown');
  assert.equal(runRule(staleIdentity, never(daysBefore(200)).signInsUnavailable().build()).length, 0, 'sign-ins unreadable');
  assert.equal(runRule(staleIdentity, never(daysBefore(200)).gap('signIns').build()).length, 0, 'sign-ins partly read');
});

test('stale-identity: only managed identities that hold something', () => {
  const idle = snapshot().userAssignedIdentity(UAMI_ID, UAMI_PRINCIPAL, { createdAt: daysBefore(200) }).build();
  assert.equal(runRule(staleIdentity, idle).length, 0, 'holds nothing');
  const viaGraph = snapshot().userAssignedIdentity(UAMI_ID, UAMI_PRINCIPAL, { createdAt: daysBefore(200) }).grant(UAMI_PRINCIPAL, 'User.Read.All').build();
  assert.equal(runRule(staleIdentity, viaGraph).length, 1, 'a Graph app role is holding access');
  const viaGroup = snapshot()
    .userAssignedIdentity(UAMI_ID, UAMI_PRINCIPAL, { createdAt: daysBefore(200) })
    .group('90000000-0000-4000-8000-000000000001', 'readers', [UAMI_PRINCIPAL])
    .assign('90000000-0000-4000-8000-000000000001', 'Reader', RG_SCOPE, { principalType: 'Group' })
    .build();
  assert.equal(runRule(staleIdentity, viaGroup).length, 1, 'a role through a group');
  const app = snapshot().principal(APP_PRINCIPAL, 'application').assign(APP_PRINCIPAL, 'Reader', RG_SCOPE).build();
  assert.equal(runRule(staleIdentity, app).length, 0, 'an application is not a managed identity');
});
