import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildIdentityInventory } from '../../../src/report/identity-inventory.ts';
import { SnapshotBuilder } from '../../support/snapshot-builder.ts';

const SUB = '/subscriptions/00000000-0000-4000-8000-0000000000a1';
const UAMI = `${SUB}/resourceGroups/rg-app/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-deployer`;
const SITE = `${SUB}/resourceGroups/rg-app/providers/Microsoft.Web/sites/web-shop`;
const DEPLOYER = '00000000-0000-4000-8000-00000000d001';
const SHOP = '00000000-0000-4000-8000-00000000d002';
const OPERATORS = '00000000-0000-4000-8000-00000000d0a1';

const snapshot = new SnapshotBuilder()
  .userAssignedIdentity(UAMI, DEPLOYER)
  .resource(SITE, { systemAssignedPrincipalId: SHOP, userAssigned: [UAMI] })
  .group(OPERATORS, 'operators', [DEPLOYER, SHOP])
  .assign(DEPLOYER, 'Contributor', `${SUB}/resourceGroups/rg-app`)
  .assign(DEPLOYER, 'Reader', SUB)
  .assign(OPERATORS, 'Owner', SUB, { principalType: 'Group' })
  .assign(OPERATORS, 'Reader', `${SUB}/resourceGroups/rg-data`, { principalType: 'Group' })
  .grant(SHOP, 'Mail.Send')
  .directoryRole(DEPLOYER, 'Application Administrator')
  .build();

test("each identity with where it is attached, its own and its groups' role assignments in order, its Graph and directory roles", () => {
  const [deployer, shop, ...rest] = buildIdentityInventory(snapshot);
  assert.deepEqual(rest, []);
  assert.equal(deployer?.displayName, 'id-deployer', 'sorted by display name');
  assert.deepEqual(deployer?.attachedTo, [SITE]);
  assert.deepEqual(deployer?.roleAssignments, [
    { scope: `${SUB}/resourceGroups/rg-app`, roleName: 'Contributor', via: 'direct' },
    { scope: SUB, roleName: 'Reader', via: 'direct' },
    { scope: SUB, roleName: 'Owner', via: { groupId: OPERATORS } },
    { scope: `${SUB}/resourceGroups/rg-data`, roleName: 'Reader', via: { groupId: OPERATORS } },
  ]);
  assert.deepEqual([deployer?.graphAppRoles, deployer?.directoryRoles], [[], ['Application Administrator']]);

  assert.equal(shop?.displayName, 'web-shop');
  assert.deepEqual([shop?.type, shop?.attachedTo], ['systemAssigned', [SITE]]);
  assert.deepEqual(shop?.roleAssignments, deployer?.roleAssignments.slice(2), 'the same group entries for every member');
  assert.deepEqual([shop?.graphAppRoles, shop?.directoryRoles], [['Mail.Send'], []]);
});
