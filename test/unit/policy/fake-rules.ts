import { z } from 'zod';
import type { Rule } from '../../../src/rules/rule.ts';
import { buildPolicySchema } from '../../../src/policy/schema.ts';

/**
 * A small stand-in catalogue for testing the policy machinery on its own: real rule ids, params in the shapes the
 * catalogue uses (defaults, enums), one rule that cannot remediate. The real catalogue is tested in catalog-policy.test.ts.
 */
const fakeRule = <Params extends object>(rule: Omit<Rule<Params>, 'evaluate'>): Rule =>
  ({ ...rule, evaluate: () => [] }) as unknown as Rule;

export const fakeRules: Rule[] = [
  fakeRule({
    id: 'new-identity',
    title: 'New managed identity',
    defaultSeverity: 'low',
    defaultAction: 'alert',
    allowedActions: ['report', 'alert', 'ticket'],
    params: z.object({ withinHours: z.number().positive().default(24) }),
  }),
  fakeRule({
    id: 'orphaned-role-assignment',
    title: 'Role assignment of a deleted principal',
    defaultSeverity: 'medium',
    defaultAction: 'remediate',
    allowedActions: ['report', 'alert', 'ticket', 'remediate'],
    params: z.object({ graceHours: z.number().min(0).default(24) }),
  }),
  fakeRule({
    id: 'stale-identity',
    title: 'Stale managed identity',
    defaultSeverity: 'medium',
    defaultAction: 'ticket',
    allowedActions: ['report', 'alert', 'ticket'],
    params: z.object({ days: z.int().positive().default(90) }),
  }),
  fakeRule({
    id: 'privileged-role-broad-scope',
    title: 'Privileged role at broad scope',
    defaultSeverity: 'high',
    defaultAction: 'remediate',
    allowedActions: ['report', 'alert', 'ticket', 'remediate'],
    params: z.object({ remediation: z.enum(['remove', 'downscope']).default('downscope') }),
  }),
];

export const fakeSchema = buildPolicySchema(fakeRules);
