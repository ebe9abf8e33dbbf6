import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inScope, scopeWithin, type ManagementGroupAncestry } from '../../../src/policy/scope.ts';

const SUB_PROD = '0b1f6471-1bf0-4dda-aec3-cb9272f09590';
const SUB_DEV = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const SUB_LOOSE = 'd3b07384-d9a0-4c8b-9f2e-1a2b3c4d5e6f';
const mg = (name: string) => `/providers/Microsoft.Management/managementGroups/${name}`;

/** contoso-root > mg-platform > mg-prod > SUB_PROD; mg-platform > SUB_DEV; SUB_LOOSE sits in the tenant root only. */
const parents = new Map(
  Object.entries({
    [`/subscriptions/${SUB_PROD}`]: ['mg-prod', 'mg-platform', 'contoso-root'],
    [`/subscriptions/${SUB_DEV}`]: ['mg-platform', 'contoso-root'],
    [`/subscriptions/${SUB_LOOSE}`]: ['contoso-root'],
    [mg('mg-prod')]: ['mg-platform', 'contoso-root'],
    [mg('mg-platform')]: ['contoso-root'],
  }).map(([scope, names]) => [scope.toLowerCase(), names]),
);
const ancestry: ManagementGroupAncestry = (scope) => parents.get(scope.toLowerCase()) ?? [];

test('path containment is case-insensitive and ignores trailing and doubled slashes', () => {
  const rg = `/subscriptions/${SUB_PROD}/resourceGroups/RG-App`;
  assert.equal(scopeWithin(`${rg}/providers/Microsoft.Web/sites/app1`, `/SUBSCRIPTIONS/${SUB_PROD.toUpperCase()}/resourcegroups/rg-app/`), true);
  assert.equal(scopeWithin(`//subscriptions/${SUB_PROD}//resourceGroups/rg-app`, rg), true);
  assert.equal(scopeWithin(`/subscriptions/${SUB_PROD}/resourceGroups/rg-app2`, rg), false, 'a sibling with a longer name is not inside');
  assert.equal(scopeWithin(`/subscriptions/${SUB_PROD}`, rg), false, 'the parent is not inside the child');
  assert.equal(scopeWithin(mg('mg-prod'), '/'), true);
});

test('management-group containment follows the ancestry it is given, and only that', () => {
  assert.equal(scopeWithin(`/subscriptions/${SUB_PROD}/resourceGroups/rg`, mg('MG-Platform'), ancestry), true);
  assert.equal(scopeWithin(mg('mg-prod'), mg('mg-platform'), ancestry), true);
  assert.equal(scopeWithin(`/subscriptions/${SUB_DEV}`, mg('mg-prod'), ancestry), false);
  assert.equal(scopeWithin(`/subscriptions/${SUB_PROD}`, mg('mg-platform')), false, 'without the hierarchy, a management group contains only what its path does');
  assert.equal(scopeWithin('/', mg('mg-platform'), ancestry), false);
});

test('inScope: within an include and within no exclude', () => {
  const policy = { scope: { include: [mg('mg-platform'), `/subscriptions/${SUB_LOOSE}`], exclude: [mg('mg-prod'), `/subscriptions/${SUB_DEV}/resourceGroups/rg-sandbox`] } };
  assert.equal(inScope(policy, `/subscriptions/${SUB_DEV}`, ancestry), true);
  assert.equal(inScope(policy, `/subscriptions/${SUB_DEV}/resourceGroups/rg-app`, ancestry), true);
  assert.equal(inScope(policy, `/subscriptions/${SUB_DEV}/resourceGroups/RG-Sandbox/providers/x/y/z`, ancestry), false, 'excluded resource group');
  assert.equal(inScope(policy, `/subscriptions/${SUB_PROD}`, ancestry), false, 'excluded management group');
  assert.equal(inScope(policy, `/subscriptions/${SUB_LOOSE}`, ancestry), true);
  assert.equal(inScope(policy, mg('contoso-root'), ancestry), false, 'above every include');
  assert.equal(inScope({ scope: { include: ['/'], exclude: [] } }, `/subscriptions/${SUB_LOOSE}`, ancestry), true);
});
