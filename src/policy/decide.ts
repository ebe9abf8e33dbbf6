/**
 * What the policy does with one finding. Pure: the instant (`asOf`) and the bot's identity come in, so a scan
 * replayed `--as-of` an instant decides the same way. Whatever is decided, the finding is still reported.
 */
import type { ActionKind, Decision, Severity } from '../model/finding.ts';
import type { FindingDraft } from '../rules/rule.ts';
import { exemptionEndsAt, exemptionExpired, exemptionMatches } from './exemptions.ts';
import { ruleSettings } from './rule-settings.ts';
import type { Policy } from './schema.ts';
import type { ManagementGroupAncestry } from './scope.ts';

export interface DecideContext {
  asOf: Date;
  botPrincipalId: string;
  /** Lets a management-group exemption cover the subscriptions below it; without it scopes match by path only. */
  ancestry?: ManagementGroupAncestry;
}

export interface Judgement {
  severity: Severity;
  decision: Decision;
}

/** What a remediation that must not happen becomes: someone still hears about it. */
const INSTEAD_OF_REMEDIATION: ActionKind = 'alert';

export function decide(draft: FindingDraft, policy: Policy, context: DecideContext): Judgement {
  const settings = ruleSettings(policy, draft.ruleId);
  const severity = settings.severity ?? draft.severity;
  const dryRun = policy.enforcement !== 'enforce';
  const notes: string[] = [];

  const matching = policy.exemptions.filter((exemption) => exemptionMatches(exemption, draft, context.ancestry));
  for (const exemption of matching.filter((candidate) => exemptionExpired(candidate, context.asOf))) {
    notes.push(`exemption approved by ${exemption.approvedBy} ("${exemption.reason}") expired at ${exemptionEndsAt(exemption).toISOString()} and no longer applies`);
  }
  const active = matching.find((exemption) => !exemptionExpired(exemption, context.asOf));
  if (active) {
    const exemption = { reason: active.reason, approvedBy: active.approvedBy, expires: active.expires };
    return { severity, decision: { action: 'report', dryRun, exemption, ...(notes.length > 0 ? { notes } : {}) } };
  }

  let action = settings.action;
  if (action === 'remediate') {
    const reasons = remediationRefusals(draft, policy, context);
    if (reasons.length > 0) {
      action = INSTEAD_OF_REMEDIATION;
      notes.push(...reasons.map((reason) => `not remediated (${INSTEAD_OF_REMEDIATION} instead): ${reason}`));
    }
  }
  return { severity, decision: { action, dryRun, ...(notes.length > 0 ? { notes } : {}) } };
}

/** Why a finding must not be remediated whatever the policy says; empty when it may be. */
function remediationRefusals(draft: FindingDraft, policy: Policy, context: DecideContext): string[] {
  const reasons: string[] = [];
  const principal = draft.principalId?.toLowerCase();
  if (principal && principal === context.botPrincipalId.toLowerCase()) reasons.push("the principal is the bot's own identity");
  if (principal && policy.guardrails.protectedPrincipals.some((id) => id.toLowerCase() === principal)) reasons.push('the principal is in guardrails.protectedPrincipals');
  const blocked = draft.evidence.remediationBlocked;
  if (blocked) reasons.push(typeof blocked === 'string' ? `remediation is blocked: ${blocked}` : 'the evidence says remediation is blocked');
  return reasons;
}
