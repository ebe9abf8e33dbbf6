import type { Finding, Severity } from '../model/finding.ts';
import type { InventoryGap, Snapshot } from '../model/snapshot.ts';
import { SEVERITIES } from '../model/finding.ts';
import { buildIdentityInventory, type IdentityView } from './identity-inventory.ts';
import type { AuditRecord } from '../state/audit-log.ts';

/** What `idwarden scan --format json` prints and report.json holds (schemaVersion 1). */
export interface ScanReport {
  schemaVersion: 1;
  tenantId: string;
  generatedAt: string;
  asOf: string;
  policyHash: string;
  enforcement: 'dry-run' | 'enforce';
  findings: Finding[];
  stats: {
    findings: number;
    bySeverity: Record<Severity, number>;
    byRule: Record<string, number>;
    roleAssignments: number;
    managedIdentities: number;
    subscriptions: number;
    /** API calls the sweep made, by endpoint, when known. */
    apiCalls?: Record<string, number>;
    durationMs?: number;
    /** True when a gap means some rules could not judge everything. */
    incomplete: boolean;
  };
  gaps: InventoryGap[];
  identities: IdentityView[];
  /** What the bot did or would do (dry-run), each with its audit record id, when the report covers a run that acted. */
  actions?: ReportedAction[];
}

export interface ReportedAction {
  auditId: string;
  at: string;
  findingId: string | null;
  action: string;
  outcome: string;
  dryRun: boolean;
  target: string;
  reason: string;
}

export function buildScanReport(input: {
  snapshot: Snapshot;
  findings: Finding[];
  asOf: Date;
  policyHash: string;
  enforcement: 'dry-run' | 'enforce';
  generatedAt: Date;
  apiCalls?: Record<string, number>;
  durationMs?: number;
  actions?: ReportedAction[];
}): ScanReport {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const byRule: Record<string, number> = {};
  for (const finding of input.findings) {
    bySeverity[finding.severity] += 1;
    byRule[finding.ruleId] = (byRule[finding.ruleId] ?? 0) + 1;
  }
  return {
    schemaVersion: 1,
    tenantId: input.snapshot.tenantId,
    generatedAt: input.generatedAt.toISOString(),
    asOf: input.asOf.toISOString(),
    policyHash: input.policyHash,
    enforcement: input.enforcement,
    findings: input.findings,
    stats: {
      findings: input.findings.length,
      bySeverity,
      byRule,
      roleAssignments: input.snapshot.roleAssignments.length,
      managedIdentities: input.snapshot.managedIdentityPrincipals.length,
      subscriptions: input.snapshot.subscriptions.length,
      ...(input.apiCalls ? { apiCalls: input.apiCalls } : {}),
      ...(input.durationMs !== undefined ? { durationMs: input.durationMs } : {}),
      incomplete: input.snapshot.gaps.length > 0,
    },
    gaps: input.snapshot.gaps,
    identities: buildIdentityInventory(input.snapshot),
    ...(input.actions ? { actions: input.actions } : {}),
  };
}

/** An audit record as a report lists it: the action, its outcome, and the id to look it up (or restore it) by. */
export function reportedAction(record: AuditRecord): ReportedAction {
  return {
    auditId: record.id,
    at: record.at.toISOString(),
    findingId: record.findingId ?? null,
    action: record.action ?? record.kind,
    outcome: record.outcome,
    dryRun: record.dryRun,
    target: record.target,
    reason: record.reason,
  };
}
