import type { Finding, Severity } from '../model/finding.ts';
import type { InventoryGap, Snapshot } from '../model/snapshot.ts';
import { SEVERITIES } from '../model/finding.ts';
import { buildIdentityInventory, type IdentityView } from './identity-inventory.ts';

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
  };
}
