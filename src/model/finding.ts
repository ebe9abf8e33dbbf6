import { createHash } from 'node:crypto';

/** The finding contract (DESIGN.md §5, schemaVersion 1). */
export type Severity = 'low' | 'medium' | 'high' | 'critical';
export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

export type ActionKind = 'report' | 'alert' | 'ticket' | 'remediate';

export interface Decision {
  action: ActionKind;
  dryRun: boolean;
  exemption?: { reason: string; approvedBy: string | null; expires: string | null };
  /** Why the policy decided this (e.g. an exemption that expired, a remediation downgraded to report). */
  notes?: string[];
}

export interface Finding {
  id: string;
  ruleId: string;
  severity: Severity;
  title: string;
  description: string;
  tenantId: string;
  subscriptionId?: string;
  scope?: string;
  principalId?: string;
  principalType?: string;
  principalDisplayName?: string;
  identityResourceId?: string;
  roleAssignmentId?: string;
  roleDefinitionId?: string;
  roleName?: string;
  appRoleAssignmentId?: string;
  graphPermission?: string;
  directoryRole?: string;
  groupId?: string;
  evidence: Record<string, unknown>;
  detectedAt: string;
  source: 'event' | 'sweep';
  decision: Decision;
}

/**
 * Stable id of (rule, object): the same problem seen twice gets the same id, whatever the casing of ARM ids.
 */
export function fingerprint(ruleId: string, ...objectKey: string[]): string {
  const digest = createHash('sha256').update([ruleId, ...objectKey.map((part) => part.toLowerCase())].join('\u0000')).digest('hex');
  return `${ruleId}:${digest.slice(0, 20)}`;
}
