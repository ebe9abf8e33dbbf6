import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEmulator } from '../support/emulator.ts';
import { generateTenant } from '../../emulator/seed/generate.ts';
import { SEED_AS_OF } from '../../emulator/seed/as-of.ts';
import { createAzureClients } from '../../src/azure/clients.ts';
import { loadAzureConfig } from '../../src/azure/config.ts';
import { parsePolicy } from '../../src/policy/load.ts';
import { runSweep } from '../../src/pipeline/sweep.ts';

// The generated tenant defines its custom roles (gen-ops-everything, gen-deployer) at its top management group.
const { seed } = generateTenant({ roleAssignments: 300, identities: 60, subscriptions: 2, seed: 5 });
const emulator = await useEmulator({ seed });
const clients = createAzureClients(loadAzureConfig(emulator.env));
const policy = parsePolicy('version: 1\n', 'test');
const asOf = new Date(SEED_AS_OF);
const ids = (findings: { id: string }[]) => findings.map((finding) => finding.id).sort();

test('a sweep of some subscriptions (one queue batch) judges assignments of custom roles defined at a management group above them', async () => {
  const tenantWide = await runSweep(clients, policy, { asOf });
  const customRoleFindings = tenantWide.findings.filter((finding) => finding.roleName?.startsWith('gen-'));
  assert.ok(customRoleFindings.length > 0, 'the tenant-wide sweep finds assignments of the management group custom roles');

  const batch = await runSweep(clients, policy, { asOf, subscriptions: seed.subscriptions!.map((subscription) => subscription.subscriptionId.toLowerCase()) });
  assert.equal(batch.snapshot.gaps.length, 0);
  assert.deepEqual(ids(batch.findings.filter((finding) => finding.roleName?.startsWith('gen-'))), ids(customRoleFindings));
});

test('a sweep of a management group below the one defining a custom role judges that role too', async () => {
  const { findings, snapshot } = await runSweep(clients, policy, { asOf, managementGroup: 'mg-gen-prod' });
  assert.ok(snapshot.subscriptions.length > 0);
  assert.ok(snapshot.roleDefinitions.some((definition) => definition.roleName === 'gen-deployer'));
  assert.ok(findings.some((finding) => finding.roleName === 'gen-deployer'));
});
