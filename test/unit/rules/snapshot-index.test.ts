import { test } from 'node:test';
import assert from 'node:assert/strict';
import { indexSnapshot } from '../../../src/rules/snapshot-index.ts';
import { snapshot } from '../../support/snapshot-builder.ts';
import { APP_PRINCIPAL, SUB_DEV, SUB_PROD, UAMI_ID, UAMI_PRINCIPAL, WEB_APP_ID } from '../../support/ids.ts';

const OWNER = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';
const GROUP = '90000000-0000-4000-8000-000000000001';

test('role definitions are found by the trailing GUID of any role definition id, in any casing', () => {
  const index = indexSnapshot(snapshot().build());
  assert.equal(index.roleDefinition(`/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleDefinitions/${OWNER.toUpperCase()}`)?.roleName, 'Owner');
  assert.equal(index.roleDefinition(`/providers/Microsoft.Authorization/roleDefinitions/${OWNER}/`)?.roleName, 'Owner');
  assert.equal(index.roleDefinition(OWNER)?.roleName, 'Owner');
  assert.equal(index.roleDefinition('/providers/Microsoft.Authorization/roleDefinitions/00000000-0000-0000-0000-000000000000'), undefined);
  assert.equal(index.roleDefinition(''), undefined);
  assert.equal(index.rolePrivilege(OWNER), index.rolePrivilege(OWNER.toUpperCase()), 'classified once per role');
});

test('identities, consumers and principals are looked up case-insensitively', () => {
  const built = snapshot()
    .userAssignedIdentity(UAMI_ID, UAMI_PRINCIPAL)
    .resource(WEB_APP_ID.toLowerCase(), { userAssigned: [UAMI_ID.toUpperCase()] })
    .principal(APP_PRINCIPAL, 'application', 'ci')
    .group(GROUP, 'admins', [UAMI_PRINCIPAL])
    .assign(UAMI_PRINCIPAL, 'Reader', `/subscriptions/${SUB_PROD}`)
    .build();
  const index = indexSnapshot(built);
  assert.deepEqual(index.consumersOf(UAMI_ID.replace('resourceGroups', 'resourcegroups')).map((holder) => holder.id), [WEB_APP_ID.toLowerCase()]);
  assert.equal(index.userAssignedIdentity(UAMI_ID.toLowerCase())?.principalId, UAMI_PRINCIPAL);
  assert.equal(index.principalKind(UAMI_PRINCIPAL.toUpperCase()), 'managedIdentity');
  assert.equal(index.principalKind(APP_PRINCIPAL), 'application');
  assert.equal(index.principalKind(GROUP), 'group');
  assert.equal(index.principalKind('99999999-0000-4000-8000-000000000000'), undefined);
  assert.equal(index.assignmentsOf(UAMI_PRINCIPAL.toUpperCase()).length, 1);
  assert.deepEqual(index.groupsOf(UAMI_PRINCIPAL.toUpperCase()), [GROUP]);
  assert.equal(index.identityResourceIdOf(UAMI_PRINCIPAL), UAMI_ID);
  assert.equal(index.appIdOf(UAMI_PRINCIPAL), built.userAssignedIdentities[0]!.clientId);
});

test('Graph listing a principal as a managed identity wins over a directory lookup that said otherwise', () => {
  const built = snapshot().userAssignedIdentity(UAMI_ID, UAMI_PRINCIPAL).build();
  built.principals[UAMI_PRINCIPAL] = { state: 'unknown', reason: 'throttled' };
  assert.equal(indexSnapshot(built).principalKind(UAMI_PRINCIPAL), 'managedIdentity');
});

test('sign-ins: a time, never, or unknown when they could not be read', () => {
  const index = indexSnapshot(snapshot().signIn('AAAA0000-0000-4000-8000-000000000000', '2026-05-01T00:00:00Z').build());
  assert.equal(index.lastSignIn('aaaa0000-0000-4000-8000-000000000000'), '2026-05-01T00:00:00Z');
  assert.equal(index.lastSignIn('bbbb0000-0000-4000-8000-000000000000'), 'never');
  assert.equal(indexSnapshot(snapshot().signInsUnavailable().build()).lastSignIn('x'), 'unknown');
});

test('completeness per subscription: swept, and no gap in the asked areas reaching it', () => {
  const complete = (configure: (builder: ReturnType<typeof snapshot>) => unknown, subscriptionId = SUB_PROD) => {
    const builder = snapshot().subscription(SUB_PROD).subscription(SUB_DEV);
    configure(builder);
    return indexSnapshot(builder.build()).isComplete(subscriptionId, ['identities', 'resources']);
  };
  assert.equal(complete(() => {}), true);
  assert.equal(complete(() => {}, '33333333-3333-4333-8333-333333333333'), false, 'not swept');
  assert.equal(complete((b) => b.gap('resources', `/subscriptions/${SUB_PROD}`)), false);
  assert.equal(complete((b) => b.gap('identities', `/subscriptions/${SUB_PROD.toUpperCase()}/resourceGroups/rg`)), false, 'a gap in one resource group');
  assert.equal(complete((b) => b.gap('resources', '/providers/Microsoft.Management/managementGroups/mg')), false, 'a management-group gap may cover it');
  assert.equal(complete((b) => b.gap('resources')), false, 'a gap without scope covers everything');
  assert.equal(complete((b) => b.gap('resources', `/subscriptions/${SUB_DEV}`)), true, 'another subscription');
  assert.equal(complete((b) => b.gap('signIns')), true, 'another area');
});

test('managed identities are listed once each, in the casing Graph gave them', () => {
  const built = snapshot().userAssignedIdentity(UAMI_ID, UAMI_PRINCIPAL.toUpperCase()).build();
  built.principals[UAMI_PRINCIPAL] = built.principals[UAMI_PRINCIPAL.toUpperCase()]!;
  built.principals[APP_PRINCIPAL] = { state: 'found', principal: { id: APP_PRINCIPAL, kind: 'managedIdentity', displayName: null, appId: null, managedIdentityResourceId: null, managedIdentityType: null } };
  assert.deepEqual(indexSnapshot(built).managedIdentityPrincipalIds(), [UAMI_PRINCIPAL.toUpperCase(), APP_PRINCIPAL]);
});
