import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicy } from '../../../src/policy/load.ts';
import { enabledRules, workloadKinds } from '../../../src/policy/rule-settings.ts';
import { fakeRules, fakeSchema } from './fake-rules.ts';

const policy = (yaml: string) => parsePolicy(`version: 1\n${yaml}`, 'rules.yaml', fakeSchema).policy;

test('enabledRules: catalogue order, disabled rules left out, params with defaults and without the policy settings', () => {
  const enabled = enabledRules(policy('rules:\n  new-identity: { enabled: false }\n  stale-identity: { days: 30, action: alert, severity: high }'), fakeRules);
  assert.deepEqual(
    enabled.map(({ rule, params }) => [rule.id, params]),
    [
      ['orphaned-role-assignment', { graceHours: 24 }],
      ['stale-identity', { days: 30 }],
      ['privileged-role-broad-scope', { remediation: 'downscope' }],
    ],
  );
});

test('workloadKinds: managed identities always, applications when included', () => {
  assert.deepEqual([...workloadKinds(policy(''))], ['managedIdentity']);
  assert.deepEqual([...workloadKinds(policy('principals: { include: [Application] }'))].sort(), ['application', 'managedIdentity']);
});
