import type { z } from 'zod';
import type { ActionKind, Finding, Severity } from '../model/finding.ts';
import type { PrincipalKind } from '../model/snapshot.ts';
import type { SnapshotIndex } from './snapshot-index.ts';

/** The rule ids of the catalogue (contract: DESIGN.md §4). */
export const RULE_IDS = [
  'new-identity',
  'orphaned-role-assignment',
  'unattached-user-assigned-identity',
  'orphaned-identity-principal',
  'stale-identity',
  'privileged-role-broad-scope',
  'unconstrained-role-delegation',
  'custom-role-wildcard',
  'privileged-graph-app-role',
  'privileged-directory-role',
  'privileged-group-membership',
] as const;

export type RuleId = (typeof RULE_IDS)[number];

export interface RuleContext {
  /** The instant every time-based rule is judged at (`--as-of`); rules never read the wall clock. */
  asOf: Date;
  tenantId: string;
  /** Which principals count as workload identities (policy `principals.include`): managed identities always. */
  workloadKinds: ReadonlySet<PrincipalKind>;
}

/** What a rule produces: a finding before the policy has decided what to do with it. */
export type FindingDraft = Omit<Finding, 'tenantId' | 'detectedAt' | 'source' | 'decision'>;

/**
 * One rule of the catalogue: pure, data in, findings out. Its parameters (zod, with defaults) become
 * part of the policy schema; the policy may override `action` and `severity`.
 */
export interface Rule<Params extends object = object> {
  id: RuleId;
  title: string;
  defaultSeverity: Severity;
  defaultAction: ActionKind;
  /** Actions this rule's findings can take; `remediate` only where a remediation exists. */
  allowedActions: readonly ActionKind[];
  params: z.ZodType<Params, any>;
  evaluate(snapshot: SnapshotIndex, params: Params, context: RuleContext): FindingDraft[];
}
