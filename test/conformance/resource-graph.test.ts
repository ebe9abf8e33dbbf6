import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SeedInput } from '../../emulator/seed/schema.ts';
import { call, tokenFor, useEmulator } from '../support/emulator.ts';
import { officialFixture, officialFixturesMissing } from '../support/official-fixtures.ts';
import { keyKinds } from '../support/arg-shape.ts';

/**
 * The published Resource Graph examples (azure-rest-api-specs, 2024-04-01), replayed against a tenant shaped
 * like theirs: the same subscription and management groups, and as many resources named "test" as their
 * totals say. Each answer must have the example's status, top-level keys and row keys with the same kinds.
 */
const SUBSCRIPTION = 'cfbbd179-59d2-4052-aa06-9270a38aa9d6';
const TENANT = 'f686d426-8d16-42db-81b7-ab578e110ccd';
const READER = 'aa000000-0000-4000-8000-000000000001';
const MATCHING_TEST_RESOURCES = 386;

function exampleTenant(): SeedInput {
  const rg = (name: string) => `/subscriptions/${SUBSCRIPTION}/resourceGroups/${name}/providers`;
  return {
    schemaVersion: 1,
    tenantId: TENANT,
    managementGroups: [
      { name: 'ProductionMG', parent: null, subscriptions: [SUBSCRIPTION] },
      { name: 'e927f598-c1d4-4f72-8541-95d83a6a4ac8', parent: null },
    ],
    subscriptions: [{ subscriptionId: SUBSCRIPTION, displayName: 'examples', resourceGroups: ['RG1', 'RG2'] }],
    resources: [
      { id: `${rg('RG1')}/Microsoft.Network/networkInterfaces/myNetworkInterface`, location: 'centralus', tags: { tag1: 'Value1' } },
      { id: `${rg('RG2')}/Microsoft.Network/virtualNetworks/myVnet`, location: 'westus' },
      { id: `${rg('RG2')}/Microsoft.Network/publicIPAddresses/myPublicIp`, location: 'westus' },
      ...Array.from({ length: MATCHING_TEST_RESOURCES }, (_, i) => ({ id: `${rg('RG1')}/Microsoft.Compute/disks/test_OsDisk_${i}`, location: 'eastus' })),
    ],
    users: [{ id: READER, displayName: 'Reader', userPrincipalName: 'reader@contoso.example' }],
    roleAssignments: [{ scope: `/providers/Microsoft.Management/managementGroups/${TENANT}`, role: 'Reader', principalId: READER, principalType: 'User' }],
    servicePrincipals: [{ id: 'b0700000-0000-4000-8000-000000000009', appId: 'b0700000-0000-4000-8000-0000000000c9', displayName: 'bot' }],
    bot: { principalId: 'b0700000-0000-4000-8000-000000000009', clientId: 'b0700000-0000-4000-8000-0000000000c9' },
  };
}

const skip = officialFixturesMissing;
const emulator = skip ? undefined : await useEmulator({ seed: exampleTenant() });

interface Example {
  parameters: { 'api-version': string; query: Record<string, unknown> };
  responses: { '200': { body: Record<string, any> } };
}

async function replay(body: Record<string, unknown>, apiVersion: string) {
  return call(emulator!, 'POST', `/providers/Microsoft.ResourceGraph/resources?api-version=${apiVersion}`, { token: tokenFor(emulator!, READER), body });
}

function assertSameShape(ours: { status: number; body: any }, published: Record<string, any>, title: string) {
  assert.equal(ours.status, 200, `${title}: ${JSON.stringify(ours.body)}`);
  assert.deepEqual(keyKinds(ours.body), keyKinds(published), `${title}: top-level keys`);
  assert.equal(ours.body.resultTruncated, published['resultTruncated'], `${title}: resultTruncated`);
  assert.equal(ours.body.count, published['count'], `${title}: count`);
  assert.equal(ours.body.totalRecords, published['totalRecords'], `${title}: totalRecords`);
  assert.deepEqual(ours.body.facets, published['facets']);
  for (const row of ours.body.data) assert.deepEqual(keyKinds(row), keyKinds(published['data'][0]), `${title}: row keys`);
}

for (const name of ['ResourcesBasicQuery', 'ResourcesFirstPageQuery', 'ResourcesRandomPageQuery', 'ResourcesTenantBasicQuery', 'ResourcesMgBasicQuery']) {
  test(`${name}: same status, keys and kinds as the published example`, { skip }, async () => {
    const example = officialFixture<Example>(`resource-graph/${name}.json`);
    const ours = await replay(example.parameters.query, example.parameters['api-version']);
    assertSameShape(ours, example.responses['200'].body, name);
  });
}

test('ResourcesNextPageQuery: a $skipToken from the first page fetches the next one, shaped like the example', { skip }, async () => {
  const first = officialFixture<Example>('resource-graph/ResourcesFirstPageQuery.json');
  const next = officialFixture<Example>('resource-graph/ResourcesNextPageQuery.json');
  const firstPage = await replay(first.parameters.query, first.parameters['api-version']);
  // The example's token is opaque to us, so the request carries the one our first page issued.
  const request = { ...next.parameters.query, options: { $skipToken: firstPage.body.$skipToken } };
  const ours = await replay(request, next.parameters['api-version']);
  const published = next.responses['200'].body;
  assert.deepEqual(keyKinds(ours.body), keyKinds(published));
  assert.equal(ours.body.totalRecords, published['totalRecords']);
  assert.equal(ours.body.resultTruncated, published['resultTruncated']);
  const firstIds = new Set(firstPage.body.data.map((row: any) => row.id));
  assert.ok(ours.body.data.every((row: any) => !firstIds.has(row.id)), 'the next page does not repeat the first');
  for (const row of ours.body.data) assert.deepEqual(keyKinds(row), keyKinds(published['data'][0]));
});
