import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SEED_AS_OF } from '../../emulator/seed/as-of.ts';
import { loadSeedFile } from '../../emulator/seed/load.ts';
import { graphPermissionsOf } from '../../emulator/authz/rbac.ts';
import { managementGroupScope, type Tenant } from '../../emulator/state/tenant.ts';
import { expectedFindings, RULE_IDS, type RuleId } from '../support/rule-oracle.ts';

const SEEDS = join(import.meta.dirname, '../../emulator/seeds');
const tenant = loadSeedFile(join(SEEDS, 'demo.json'));
const findings = expectedFindings(tenant, { asOf: new Date(SEED_AS_OF) });

/** The demo.md table: per rule, the objects named (in backticks) as firing and as near-misses. */
function plantedTable(): Map<RuleId, { fires: string[]; nearMisses: string[] }> {
  const rows = new Map<RuleId, { fires: string[]; nearMisses: string[] }>();
  const names = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]!);
  for (const line of readFileSync(join(SEEDS, 'demo.md'), 'utf8').split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const rule = RULE_IDS.find((id) => id === cells[1]);
    if (rule) rows.set(rule, { fires: names(cells[2]!), nearMisses: names(cells[3]!) });
  }
  return rows;
}

/** How demo.md names a principal: its display name, or its object id when it no longer exists. */
function label(tenant: Tenant, principalId: string): string {
  const object = tenant.directoryObject(principalId);
  return object?.object.displayName ?? tenant.deletedServicePrincipals.get(principalId.toLowerCase())?.displayName ?? principalId;
}

function resolves(tenant: Tenant, name: string): boolean {
  const named = (objects: Iterable<{ id: string; displayName: string }>) => [...objects].some((o) => o.displayName === name || o.id === name);
  return (
    named(tenant.servicePrincipals.values()) ||
    named(tenant.users.values()) ||
    named(tenant.groups.values()) ||
    named(tenant.deletedServicePrincipals.values()) ||
    [...tenant.roleAssignments.values()].some((assignment) => assignment.principalId === name)
  );
}

test('the demo seed loads and is written against the documented as-of instant', () => {
  const raw = JSON.parse(readFileSync(join(SEEDS, 'demo.json'), 'utf8')) as { description: string };
  assert.match(raw.description, new RegExp(SEED_AS_OF));
  assert.match(readFileSync(join(SEEDS, 'demo.md'), 'utf8'), new RegExp(`As of ${SEED_AS_OF}`));
  assert.equal(tenant.subscriptions.size, 3);
  const future = [...tenant.servicePrincipals.values()].filter((principal) => principal.createdDateTime > new Date(SEED_AS_OF));
  assert.deepEqual(future, [], 'nothing is created after the as-of instant');
});

test('demo.md has a row for every rule, and every object it names is in the seed', () => {
  const table = plantedTable();
  assert.deepEqual([...table.keys()].sort(), [...RULE_IDS].sort());
  for (const [rule, { fires, nearMisses }] of table) {
    assert.ok(fires.length > 0 && nearMisses.length > 0, `${rule}: a firing case and a near-miss`);
    for (const name of [...fires, ...nearMisses]) assert.ok(resolves(tenant, name), `${rule}: '${name}' is not in demo.json`);
  }
});

for (const rule of RULE_IDS) {
  test(`${rule}: fires on exactly the planted objects and on none of the near-misses`, () => {
    const planted = plantedTable().get(rule)!;
    // demo.md lists a soft-deleted principal's assignment as a near-miss: reported (low), never removed.
    const firing = new Set(findings[rule].filter((finding) => !finding.remediationBlocked).map((finding) => label(tenant, finding.principalId)));
    assert.deepEqual([...firing].sort(), [...planted.fires].sort());
    for (const nearMiss of planted.nearMisses) assert.ok(!firing.has(nearMiss), `${nearMiss} must not fire ${rule}`);
  });
}

test("orphaned-role-assignment reports legacy-etl's assignment (soft-deleted, restorable) with remediation blocked, and blocks nothing else", () => {
  const blocked = findings['orphaned-role-assignment'].filter((finding) => finding.remediationBlocked).map((finding) => label(tenant, finding.principalId));
  assert.deepEqual(blocked, ['legacy-etl']);
});

test('the bot holds exactly its read permissions plus RBAC Administrator at the top management group', () => {
  const bot = tenant.bot.principalId.toLowerCase();
  const assignments = [...tenant.roleAssignments.values()].filter((assignment) => assignment.principalId.toLowerCase() === bot);
  const described = assignments.map((assignment) => `${tenant.roleDefinition(assignment.roleDefinitionName)!.roleName} @ ${assignment.scope}`);
  const top = managementGroupScope('mg-contoso');
  assert.deepEqual(described.sort(), [`Reader @ ${top}`, `Role Based Access Control Administrator @ ${top}`]);
  assert.deepEqual([...graphPermissionsOf(tenant, bot)].sort(), ['Application.Read.All', 'AuditLog.Read.All', 'Directory.Read.All']);
  assert.deepEqual(tenant.transitiveGroupsOf(bot), [], 'no privilege through groups');
  const identity = [...tenant.userAssignedIdentities.values()].find((uami) => uami.principalId === tenant.bot.principalId);
  assert.equal(identity?.name, 'idwarden');
  assert.equal(identity.clientId, tenant.bot.clientId);
});

test('the soft-deleted principal keeps its assignment and is restorable at the as-of instant', () => {
  const legacy = [...tenant.deletedServicePrincipals.values()].find((principal) => principal.displayName === 'legacy-etl')!;
  const restorableUntil = legacy.deletedDateTime!.getTime() + 30 * 24 * 3_600_000;
  assert.ok(restorableUntil > new Date(SEED_AS_OF).getTime());
  assert.equal([...tenant.roleAssignments.values()].filter((assignment) => assignment.principalId === legacy.id).length, 1);
});
