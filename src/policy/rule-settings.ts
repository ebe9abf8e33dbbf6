import type { PrincipalKind } from '../model/snapshot.ts';
import { rules as catalogRules } from '../rules/catalog/index.ts';
import type { Rule, RuleId } from '../rules/rule.ts';
import type { EnabledRule } from '../rules/evaluate.ts';
import type { Policy, RuleSettings } from './schema.ts';

/** A rule's settings in a parsed policy. A rule missing there means the policy came from another rule list: a bug, not a user error. */
export function ruleSettings(policy: Policy, ruleId: string): RuleSettings {
  const settings = policy.rules[ruleId as RuleId];
  if (!settings) throw new Error(`the policy has no settings for rule '${ruleId}': it was parsed with a different rule list`);
  return settings;
}

/** The rules a policy runs, in catalogue order, each with its params as the rule's own schema parses them. */
export function enabledRules(policy: Policy, rules: readonly Rule[] = catalogRules): EnabledRule[] {
  return rules.flatMap((rule) => {
    const { enabled, action: _action, severity: _severity, ...params } = ruleSettings(policy, rule.id);
    return enabled ? [{ rule, params: rule.params.parse(params) }] : [];
  });
}

/** The principal kinds rules treat as workload identities (RuleContext.workloadKinds). */
export function workloadKinds(policy: Policy): ReadonlySet<PrincipalKind> {
  return new Set(policy.principals.include.map((kind): PrincipalKind => (kind === 'Application' ? 'application' : 'managedIdentity')));
}
