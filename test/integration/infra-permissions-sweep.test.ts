import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { useEmulator } from '../support/emulator.ts';
import { botGrants, withBotGrants, type BotGrants } from '../support/bot-grants.ts';
import { DEMO_SEED } from '../../emulator/index.ts';
import { buildTenant } from '../../emulator/seed/load.ts';
import type { SeedInput } from '../../emulator/seed/schema.ts';
import { createAzureClients } from '../../src/azure/clients.ts';
import { loadAzureConfig } from '../../src/azure/config.ts';
import { parsePolicy } from '../../src/policy/load.ts';
import { runSweep } from '../../src/pipeline/sweep.ts';

/**
 * The sweep against the demo tenant with the bot holding exactly what a default (read-only) deployment grants:
 * proves the read permissions in infra/data/bot-permissions.json suffice, and, one grant at a time, that each
 * is needed.
 */
const demo = JSON.parse(readFileSync(DEMO_SEED, 'utf8')) as SeedInput;
const emulator = await useEmulator({ seed: demo });
const clients = createAzureClients(loadAzureConfig(emulator.env));
const policy = parsePolicy('version: 1\n', 'test');
const asOf = new Date('2026-11-20T12:00:00Z');

/** The demo bot governs the whole tenant below mg-contoso, as a management-group deployment would grant it. */
const deployed = botGrants({ principalId: demo.bot.principalId, targetScopes: ['/providers/Microsoft.Management/managementGroups/mg-contoso'] });

async function sweepWith(grants: BotGrants) {
  emulator.core.tenant = buildTenant(withBotGrants(demo, grants), 'demo with the deployed bot grants');
  return runSweep(clients, policy, { asOf });
}

test('a read-only deployment grants exactly Reader on the target and Directory.Read.All', () => {
  assert.deepEqual(
    deployed.roleAssignments.map((assignment) => assignment.role),
    ['acdd72a7-3385-48ef-bd42-f606fba81ae7'],
  );
  assert.deepEqual(
    deployed.appRoleAssignments.map((grant) => grant.permission),
    ['Directory.Read.All'],
  );
});

test('with exactly the deployed read grants, the sweep of the demo tenant has no gaps', async () => {
  const { report, findings } = await sweepWith(deployed);
  assert.deepEqual(report.gaps, []);
  assert.equal(report.stats.incomplete, false);
  assert.equal(report.stats.subscriptions, 3, 'every subscription below mg-contoso was read');
  assert.ok(findings.some((finding) => finding.ruleId === 'orphaned-role-assignment'), 'the principal lookups ran');
  assert.ok(findings.some((finding) => finding.ruleId === 'stale-identity'), 'sign-in activity was read');
});

const without = (grants: BotGrants, drop: { role?: string; permission?: string }): BotGrants => ({
  roleAssignments: grants.roleAssignments.filter((assignment) => assignment.role !== drop.role),
  appRoleAssignments: grants.appRoleAssignments.filter((grant) => grant.permission !== drop.permission),
});

test('without Directory.Read.All, the sweep reports 403 gaps for every directory read', async () => {
  const { report } = await sweepWith(without(deployed, { permission: 'Directory.Read.All' }));
  assert.equal(report.stats.incomplete, true);
  assert.deepEqual(new Set(report.gaps.map((gap) => gap.statusCode)), new Set([403]));
  for (const area of ['servicePrincipals', 'appRoleGrants', 'directoryRoles', 'signIns', 'principals']) {
    assert.ok(report.gaps.some((gap) => gap.area === area), `a gap for ${area}: ${JSON.stringify(report.gaps.map((gap) => gap.area))}`);
  }
});

/**
 * Resource Graph answers a caller without read access with no rows rather than an error, so today the sweep
 * reports this as an empty estate and no gap: the inventory cannot tell "nothing there" from "cannot see".
 * What proves the grant necessary is what the sweep no longer sees.
 */
test('without Reader on the target, the sweep sees none of the estate', async () => {
  const { report } = await sweepWith(without(deployed, { role: 'acdd72a7-3385-48ef-bd42-f606fba81ae7' }));
  assert.equal(report.stats.subscriptions, 0);
  assert.equal(report.stats.roleAssignments, 0);
});
