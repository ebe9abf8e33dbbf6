import type { RequestIdSink } from '../../azure/request-ids.ts';
import type { Finding } from '../../model/finding.ts';
import type { AuditKind } from '../../state/audit-log.ts';
import type { ActionOutcome } from '../outcome.ts';
import type { RemediationContext } from './context.ts';

/**
 * The audit trail of one remediation, and the guardrails every remediation passes before its first call. Each
 * record names the finding, the rule, the policy hash, the bot as actor and every request id the action has made
 * so far, and becomes the ActionOutcome the caller gets.
 */
export class RemediationTrail {
  private readonly requestIds: string[] = [];
  /** Hand this to each Azure call, so its request id is on every later record. */
  readonly collect: RequestIdSink = (id) => void this.requestIds.push(id);

  constructor(
    private readonly finding: Finding,
    private readonly ctx: RemediationContext,
    readonly action: string,
    readonly target: string,
  ) {}

  get dryRun(): boolean {
    return this.finding.decision.dryRun;
  }

  async record(kind: AuditKind, outcome: string, reason: string, status: ActionOutcome['status'], priorState?: unknown): Promise<ActionOutcome> {
    const { finding, ctx } = this;
    const entry = await ctx.audit.append({
      at: ctx.now(),
      kind,
      findingId: finding.id,
      ruleId: finding.ruleId,
      action: this.action,
      dryRun: this.dryRun,
      outcome,
      reason,
      policyHash: ctx.policyHash,
      actor: ctx.botPrincipalId,
      target: this.target,
      ...(priorState !== undefined ? { priorState } : {}),
      requestIds: [...this.requestIds],
      ...(ctx.correlationId ? { correlationId: ctx.correlationId } : {}),
      runId: ctx.runId,
    });
    return { findingId: finding.id, action: this.action, status, reason, auditId: entry.id };
  }

  /**
   * Never the bot's own identity or a protected principal, and never beyond the run's budget (the circuit breaker):
   * the skipped outcome when one of them stops the remediation, before any call is made; undefined when it may go on.
   */
  async refusal(): Promise<ActionOutcome | undefined> {
    const principal = this.finding.principalId?.toLowerCase();
    if (principal && (principal === this.ctx.botPrincipalId.toLowerCase() || this.ctx.protectedPrincipals.has(principal))) {
      return this.record('skipped', 'protected', `principal ${this.finding.principalId} is protected`, 'skipped');
    }
    if (!this.ctx.budget.take()) {
      return this.record('skipped', 'circuit-breaker', `the run reached its limit of ${this.ctx.budget.limit} remediations`, 'skipped');
    }
    return undefined;
  }
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
