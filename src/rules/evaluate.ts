import type { Snapshot } from '../model/snapshot.ts';
import { RULE_IDS, type FindingDraft, type Rule, type RuleContext, type RuleId } from './rule.ts';
import { indexSnapshot } from './snapshot-index.ts';

/** A rule and its parameters as the policy configured them (validated again here, defaults filled in). */
export interface EnabledRule {
  rule: Rule;
  params: unknown;
}

/** A rule that could not run: its parameters were invalid, or it threw. The scan goes on without it. */
export interface RuleError {
  name: 'RuleError';
  ruleId: RuleId;
  reason: 'invalid-params' | 'threw';
  message: string;
}

export interface RuleEvaluation {
  /** Sorted by rule (catalogue order), then finding id; one finding per id. */
  findings: FindingDraft[];
  errors: RuleError[];
}

/**
 * Runs the enabled rules over one snapshot, indexed once. Rules are pure and should never throw; if one
 * does anyway, its error is reported and the other rules' findings stand, so one bug cannot blind a scan.
 */
export function evaluateRules(snapshot: Snapshot, enabled: readonly EnabledRule[], context: RuleContext): RuleEvaluation {
  const index = indexSnapshot(snapshot);
  const findings = new Map<string, FindingDraft>();
  const errors: RuleError[] = [];
  for (const { rule, params } of enabled) {
    const parsed = rule.params.safeParse(params ?? {});
    if (!parsed.success) {
      errors.push({ name: 'RuleError', ruleId: rule.id, reason: 'invalid-params', message: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(params)'}: ${issue.message}`).join('; ') });
      continue;
    }
    let produced: FindingDraft[];
    try {
      produced = rule.evaluate(index, parsed.data, context);
    } catch (error) {
      errors.push({ name: 'RuleError', ruleId: rule.id, reason: 'threw', message: error instanceof Error ? error.message : String(error) });
      continue;
    }
    for (const finding of produced) {
      if (!findings.has(finding.id)) findings.set(finding.id, finding);
    }
  }
  return { findings: sortedByRuleThenId([...findings.values()]), errors };
}

const ruleOrder = new Map<string, number>(RULE_IDS.map((id, position) => [id, position]));

/** Catalogue order first, then id; the sort key is built once per finding (a scan can produce many). */
function sortedByRuleThenId(findings: FindingDraft[]): FindingDraft[] {
  return findings
    .map((finding) => ({ finding, order: ruleOrder.get(finding.ruleId) ?? RULE_IDS.length }))
    .sort((a, b) => a.order - b.order || (a.finding.id < b.finding.id ? -1 : a.finding.id > b.finding.id ? 1 : 0))
    .map(({ finding }) => finding);
}
