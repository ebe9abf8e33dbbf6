import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTenant, SeedError } from '../../emulator/seed/load.ts';
import type { SeedInput } from '../../emulator/seed/schema.ts';
import { smallTenant } from '../support/seeds.ts';
import * as id from '../support/ids.ts';

const PROD = `/subscriptions/${id.SUB_PROD}`;
const RG_APP = `${PROD}/resourceGroups/rg-app`;
const GROUP = '90000000-0000-4000-8000-000000000001';

/** The problems a seed is refused with, as `path: message`; fails the test when the seed loads. */
function refusal(seed: unknown): SeedError {
  try {
    buildTenant(seed, 'test seed');
  } catch (error) {
    if (error instanceof SeedError) return error;
    throw error;
  }
  assert.fail('the seed loaded but should have been refused');
}
const paths = (error: SeedError) => error.problems.map((problem) => problem.path).sort();

test('a seed with many problems is refused once, naming every problem by its JSON path', () => {
  const base = smallTenant();
  const seed: SeedInput = {
    ...base,
    users: [...base.users!, { id: id.HUMAN_ADMIN, displayName: 'Copy of Ops Admin', userPrincipalName: 'copy@contoso.example' }],
    resources: [
      { id: `${RG_APP}/providers/Microsoft.Web/sites/app2`, identity: { type: 'UserAssigned', userAssignedIdentities: [`${RG_APP}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/nope`] } },
      ...base.resources!,
    ],
    roleAssignments: [
      ...base.roleAssignments!,
      { scope: PROD, role: 'Ownr', principalId: id.UAMI_PRINCIPAL },
      { scope: '/subscriptions/not-a-scope/extra', role: 'Reader', principalId: id.UAMI_PRINCIPAL },
      { scope: `${PROD}/resourceGroups/rg-missing`, role: 'Reader', principalId: id.UAMI_PRINCIPAL },
      { scope: PROD, role: 'Contributor', principalId: id.UAMI_PRINCIPAL, name: '0a000000-0000-4000-8000-000000000001' },
    ],
    appRoleAssignments: [...base.appRoleAssignments!, { principalId: id.BOT_PRINCIPAL, permission: 'Directory.ReadEverything.All' }],
    directoryRoleAssignments: [{ principalId: id.UAMI_PRINCIPAL, role: 'Supreme Administrator' }],
  };
  const error = refusal(seed);
  assert.deepEqual(paths(error), [
    '$.appRoleAssignments[1].permission',
    '$.directoryRoleAssignments[0].role',
    '$.resources[0].identity.userAssignedIdentities[0]',
    '$.roleAssignments[4].role',
    '$.roleAssignments[5].scope',
    '$.roleAssignments[6].scope',
    '$.roleAssignments[7]',
    '$.users[1].id',
  ]);
  const messages = Object.fromEntries(error.problems.map((problem) => [problem.path, problem.message]));
  assert.match(messages['$.roleAssignments[4].role']!, /unknown role 'Ownr'/);
  assert.match(messages['$.roleAssignments[5].scope']!, /is not an ARM scope/);
  assert.match(messages['$.roleAssignments[6].scope']!, /does not exist in the seed/);
  assert.match(messages['$.roleAssignments[7]']!, /same role, principal and scope as \$\.roleAssignments\[2\]/);
  assert.match(messages['$.appRoleAssignments[1].permission']!, /unknown Microsoft Graph application permission 'Directory.ReadEverything.All'/);
  assert.match(messages['$.directoryRoleAssignments[0].role']!, /unknown Microsoft Entra built-in role 'Supreme Administrator'/);
  assert.match(messages['$.users[1].id']!, /already used at \$\.users\[0\]\.id/);
  assert.match(error.message, /^invalid seed test seed:\n {2}\$\./);
});

test('schema problems list every misspelt key, bad id and bad time at its own path', () => {
  const base = smallTenant();
  const seed = {
    ...base,
    roleAssignments: [{ scope: PROD, role: 'Reader', princpalId: id.UAMI_PRINCIPAL }],
    users: [{ id: 'not-a-guid', displayName: 'X', userPrincipalName: 'x@contoso.example' }],
    userAssignedIdentities: [{ ...base.userAssignedIdentities![0]!, createdAt: 'yesterday' }],
    subscriptionz: [],
  };
  assert.deepEqual(paths(refusal(seed)), [
    '$.roleAssignments[0].principalId',
    '$.roleAssignments[0].princpalId',
    '$.subscriptionz',
    '$.userAssignedIdentities[0].createdAt',
    '$.users[0].id',
  ]);
  assert.match(refusal(seed).problems.find((p) => p.path === '$.subscriptionz')!.message, /unknown key 'subscriptionz'/);
});

test('structure Azure refuses: management-group cycles, custom roles at the root, role-assignable groups, bad members', () => {
  const base = smallTenant();
  const seed: SeedInput = {
    ...base,
    managementGroups: [
      { name: id.MG_PROD, parent: 'mg-b', subscriptions: [id.SUB_PROD, id.SUB_DEV] },
      { name: 'mg-b', parent: id.MG_PROD },
    ],
    roleDefinitions: [
      { id: 'c5000000-0000-4000-8000-000000000001', roleName: 'everywhere', assignableScopes: ['/'], permissions: [{ actions: ['*/read'] }] },
      { id: 'c5000000-0000-4000-8000-000000000002', roleName: 'nowhere', assignableScopes: ['/subscriptions/33333333-3333-4333-8333-333333333333'], permissions: [{ actions: ['*/read'] }] },
    ],
    groups: [
      { id: GROUP, displayName: 'admins', isAssignableToRole: true, members: ['90000000-0000-4000-8000-000000000002', 'dead0000-0000-4000-8000-00000000ffff'] },
      { id: '90000000-0000-4000-8000-000000000002', displayName: 'plain', members: [] },
    ],
    directoryRoleAssignments: [{ principalId: '90000000-0000-4000-8000-000000000002', role: 'Global Administrator' }],
    resources: [...base.resources!, { id: `${RG_APP}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/sneaky` }],
  };
  const error = refusal(seed);
  assert.deepEqual(paths(error), [
    '$.directoryRoleAssignments[0].principalId',
    '$.groups[0].members[0]',
    '$.groups[0].members[1]',
    '$.managementGroups[0].parent',
    '$.resources[1].id',
    '$.roleDefinitions[0].assignableScopes[0]',
    '$.roleDefinitions[1].assignableScopes[0]',
  ]);
  assert.match(error.problems.find((p) => p.path === '$.managementGroups[0].parent')!.message, /cycle/, 'a cycle is reported once, where it is first met');
  assert.match(error.problems.find((p) => p.path === '$.groups[0].members[0]')!.message, /role-assignable group 'admins' cannot contain groups/);
  assert.match(error.problems.find((p) => p.path === '$.directoryRoleAssignments[0].principalId')!.message, /not role-assignable/);
});

test("the bot's clientId must be its principal's appId; a system-assigned bot takes the seed's clientId", () => {
  const base = smallTenant();
  const mismatch = refusal({ ...base, bot: { principalId: id.BOT_PRINCIPAL, clientId: id.UAMI_CLIENT } });
  assert.deepEqual(paths(mismatch), ['$.bot.clientId']);

  const systemAssignedBot = 'b0700000-0000-4000-8000-0000000000aa';
  const tenant = buildTenant({
    ...base,
    resources: [...base.resources!, { id: `${RG_APP}/providers/Microsoft.Web/sites/func-idwarden`, identity: { type: 'SystemAssigned', principalId: systemAssignedBot } }],
    bot: { principalId: systemAssignedBot, clientId: id.BOT_CLIENT },
  });
  assert.equal(tenant.servicePrincipals.get(systemAssignedBot)!.appId, id.BOT_CLIENT);
});

test("one broken resource does not cascade: the bot on a later resource still counts, and only the broken one is reported", () => {
  const base = smallTenant();
  const systemAssignedBot = 'b0700000-0000-4000-8000-0000000000bb';
  const error = refusal({
    ...base,
    resources: [
      { id: `${RG_APP}/providers/Microsoft.Web/sites/broken`, identity: { type: 'UserAssigned', userAssignedIdentities: [`${RG_APP}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/missing`] } },
      { id: `${RG_APP}/providers/Microsoft.Web/sites/func-idwarden`, identity: { type: 'SystemAssigned', principalId: systemAssignedBot } },
    ],
    roleAssignments: [{ scope: `${RG_APP}/providers/Microsoft.Web/sites/func-idwarden`, role: 'Reader', principalId: systemAssignedBot }],
    appRoleAssignments: [],
    bot: { principalId: systemAssignedBot, clientId: id.BOT_CLIENT },
  });
  assert.deepEqual(paths(error), ['$.resources[0].identity.userAssignedIdentities[0]']);
});

test("Azure's limits: more than 4,000 role assignments in a subscription are refused at the first one over", () => {
  const base = smallTenant();
  const roleAssignments = Array.from({ length: 4_001 }, (_, i) => ({
    scope: RG_APP,
    role: 'Reader',
    principalId: `dead0000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  }));
  const error = refusal({ ...base, roleAssignments });
  assert.deepEqual(paths(error), ['$.roleAssignments[4000].scope']);
  assert.match(error.problems[0]!.message, /more than 4000 role assignments in subscription/);
});

test('the small test tenant loads, with derived ids stable from one load to the next', () => {
  const first = buildTenant(smallTenant());
  const second = buildTenant(smallTenant());
  assert.deepEqual([...first.roleAssignments.keys()], [...second.roleAssignments.keys()]);
  assert.equal(first.roleAssignments.size, 4);
});
