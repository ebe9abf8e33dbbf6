import type { Finding } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { decide } from '../policy/decide.ts';
import type { LoadedPolicy } from '../policy/load.ts';
import { enabledRules, workloadKinds } from '../policy/rule-settings.ts';
import { inScope, type ManagementGroupAncestry } from '../policy/scope.ts';
import { evaluateRules, type RuleError } from '../rules/evaluate.ts';

export interface JudgeContext {
  asOf: Date;
  botPrincipalId: string;
  source: Finding['source'];
  /**
   * For a sweep limited to some subscriptions (or a management group): tenant-wide data such as Graph app roles
   * names identities everywhere, so findings about other subscriptions are left to the sweep that covers them.
   */
  coveredSubscriptions?: ReadonlySet<string>;
}

/** The management groups above a subscription scope, nearest first, as the snapshot read them. */
export function ancestryFrom(snapshot: Snapshot): ManagementGroupAncestry {
  const chains = new Map(snapshot.subscriptions.map((s) => [`/subscriptions/${s.subscriptionId}`.toLowerCase(), s.managementGroupChain]));
  return (anchor) => chains.get(anchor.toLowerCase()) ?? [];
}

/**
 * Pure: rules over a snapshot, then the policy's decision for each finding in the policy's scope.
 * The same snapshot, policy and instant always give the same findings.
 */
export function judgeSnapshot(snapshot: Snapshot, loaded: LoadedPolicy, context: JudgeContext): { findings: Finding[]; ruleErrors: RuleError[] } {
  const { policy } = loaded;
  const ancestry = ancestryFrom(snapshot);
  const evaluation = evaluateRules(snapshot, enabledRules(policy), { asOf: context.asOf, tenantId: snapshot.tenantId, workloadKinds: workloadKinds(policy) });
  const findings = evaluation.findings
    .filter((draft) => {
      if (context.coveredSubscriptions && draft.subscriptionId && !context.coveredSubscriptions.has(draft.subscriptionId.toLowerCase())) return false;
      const where = draft.scope ?? draft.identityResourceId;
      return where === undefined || inScope(policy, where, ancestry);
    })
    .map((draft): Finding => {
      const { severity, decision } = decide(draft, policy, { asOf: context.asOf, botPrincipalId: context.botPrincipalId, ancestry });
      return { ...draft, severity, tenantId: snapshot.tenantId, detectedAt: context.asOf.toISOString(), source: context.source, decision };
    });
  return { findings, ruleErrors: evaluation.errors };
}
