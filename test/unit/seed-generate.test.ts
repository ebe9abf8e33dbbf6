import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SEED_AS_OF } from '../../emulator/seed/as-of.ts';
import { CATALOGUE_RULES, generateTenant, optionsForScale, optionsForSize, type GeneratedTenant } from '../../emulator/seed/generate.ts';
import { buildTenant } from '../../emulator/seed/load.ts';
import { parseScope } from '../../emulator/state/ids.ts';
import type { Tenant } from '../../emulator/state/tenant.ts';
import { expectedFindings, RULE_IDS } from '../support/rule-oracle.ts';

const small = generateTenant(optionsForSize('S'));

function checkAgainstOracle(generated: GeneratedTenant, tenant: Tenant): void {
  const findings = expectedFindings(tenant, { asOf: new Date(generated.manifest.asOf) });
  const counted = Object.fromEntries(RULE_IDS.map((rule) => [rule, findings[rule].length]));
  assert.deepEqual(counted, generated.manifest.expectedFindings);
  const blocked = findings['orphaned-role-assignment'].filter((finding) => finding.remediationBlocked).length;
  assert.deepEqual({ 'orphaned-role-assignment': blocked }, generated.manifest.remediationBlocked);
}

test('sizes S, M and L, and --scale N as N times S', () => {
  assert.deepEqual(optionsForSize('S', 9), { roleAssignments: 1_000, identities: 500, subscriptions: 5, seed: 9 });
  assert.deepEqual(optionsForSize('M'), { roleAssignments: 20_000, identities: 5_000, subscriptions: 50, seed: 1 });
  assert.deepEqual(optionsForSize('L'), { roleAssignments: 100_000, identities: 25_000, subscriptions: 300, seed: 1 });
  assert.deepEqual(optionsForScale(3, 2), { roleAssignments: 3_000, identities: 1_500, subscriptions: 15, seed: 2 });
});

test('the same options give byte-identical JSON; another random seed gives another tenant of the same shape', () => {
  const again = generateTenant(optionsForSize('S'));
  assert.equal(JSON.stringify(again.seed), JSON.stringify(small.seed));
  assert.deepEqual(again.manifest, small.manifest);
  const other = generateTenant(optionsForSize('S', 2));
  assert.notEqual(JSON.stringify(other.seed), JSON.stringify(small.seed));
  assert.notEqual(other.seed.tenantId, small.seed.tenantId);
  assert.deepEqual(other.manifest.counts, small.manifest.counts);
});

test('counts are exact: role assignments, identities (60 % user-assigned) and subscriptions', () => {
  for (const options of [optionsForSize('S'), { roleAssignments: 1_234, identities: 321, subscriptions: 7, seed: 5 }]) {
    const { seed, manifest } = generateTenant(options);
    assert.equal(seed.roleAssignments!.length, options.roleAssignments);
    assert.equal(seed.subscriptions!.length, options.subscriptions);
    const systemAssigned = seed.resources!.filter((resource) => /SystemAssigned/.test(resource.identity?.type ?? '')).length;
    assert.equal(seed.userAssignedIdentities!.length + systemAssigned, options.identities);
    // Three in every five identities are user-assigned.
    assert.equal(seed.userAssignedIdentities!.length, 3 * Math.floor(options.identities / 5) + Math.min(options.identities % 5, 3));
    assert.deepEqual(manifest.counts.roleAssignments, options.roleAssignments);
    assert.deepEqual(Object.keys(manifest.expectedFindings), [...CATALOGUE_RULES]);
    for (const rule of CATALOGUE_RULES) assert.ok(manifest.expectedFindings[rule] >= 1, `${rule} is planted`);
  }
});

test('size S loads, and every rule finds exactly what the manifest says was planted', () => {
  const tenant = buildTenant(small.seed);
  assert.equal(small.manifest.asOf, SEED_AS_OF);
  checkAgainstOracle(small, tenant);
  const attached = new Set([...tenant.resources.values()].flatMap((resource) => resource.identity?.userAssigned.map((uami) => uami.toLowerCase()) ?? []));
  const unattached = [...tenant.userAssignedIdentities.values()].filter((uami) => !attached.has(uami.id.toLowerCase())).length;
  assert.equal(unattached, small.manifest.expectedFindings['unattached-user-assigned-identity'], 'most identities are attached; only the planted ones are not');
});

test("size M generates and loads in a few seconds, within Azure's role-assignment limits", () => {
  const started = performance.now();
  const generated = generateTenant(optionsForSize('M'));
  const tenant = buildTenant(JSON.parse(JSON.stringify(generated.seed)));
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 5_000, `generate and load M took ${Math.round(elapsed)} ms`);
  checkAgainstOracle(generated, tenant);

  const perSubscription = new Map<string, number>();
  const perManagementGroup = new Map<string, number>();
  for (const assignment of tenant.roleAssignments.values()) {
    const scope = parseScope(assignment.scope)!;
    if (scope.subscriptionId) perSubscription.set(scope.subscriptionId, (perSubscription.get(scope.subscriptionId) ?? 0) + 1);
    if (scope.kind === 'managementGroup') perManagementGroup.set(scope.managementGroup!, (perManagementGroup.get(scope.managementGroup!) ?? 0) + 1);
  }
  assert.ok(Math.max(...perSubscription.values()) <= 4_000);
  assert.ok(Math.max(...perManagementGroup.values()) <= 500);
  assert.equal(perSubscription.size, 50, 'assignments spread over every subscription');
});

test('options that cannot make a realistic tenant are refused', () => {
  assert.throws(() => generateTenant({ roleAssignments: 1_000, identities: 10, subscriptions: 1, seed: 1 }), /identities must be at least 50/);
  assert.throws(() => generateTenant({ roleAssignments: 100_000, identities: 500, subscriptions: 5, seed: 1 }), /per subscription: add subscriptions/);
  assert.throws(() => generateTenant({ roleAssignments: 10, identities: 500, subscriptions: 5, seed: 1 }), /the planted mix needs \d+ role assignments/);
  assert.throws(() => generateTenant({ roleAssignments: 1_000, identities: 500, subscriptions: 0, seed: 1 }), /subscriptions must be between/);
});

test('the command line writes the same seed and its manifest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'idwarden-generate-'));
  try {
    const out = join(dir, 'tenant.json');
    const manifest = join(dir, 'manifest.json');
    execFileSync(process.execPath, ['--import', 'tsx', 'emulator/seed/generate-cli.ts', '--size', 'S', '--seed-random', '4', '--out', out, '--manifest', manifest], {
      cwd: join(import.meta.dirname, '../..'),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const expected = generateTenant(optionsForSize('S', 4));
    assert.equal(readFileSync(out, 'utf8'), JSON.stringify(expected.seed));
    assert.deepEqual(JSON.parse(readFileSync(manifest, 'utf8')), expected.manifest);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
