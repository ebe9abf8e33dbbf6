import type { AzureClients } from '../../azure/clients.ts';
import type { AuditLog } from '../../state/audit-log.ts';
import type { RemediationBudget } from './budget.ts';

/** What a remediation needs: the clients to act with, where to record it, and the run's limits. */
export interface RemediationContext {
  clients: AzureClients;
  audit: AuditLog;
  policyHash: string;
  botPrincipalId: string;
  /** Principals never touched, whatever a finding says (the policy's protectedPrincipals; the bot is added always). */
  protectedPrincipals: ReadonlySet<string>;
  budget: RemediationBudget;
  runId: string;
  correlationId?: string;
  now(): Date;
}
