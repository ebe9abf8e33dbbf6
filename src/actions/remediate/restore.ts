import { z } from 'zod';
import { AzureApiError, isNotFound } from '../../azure/errors.ts';
import { RoleAssignments } from '../../azure/role-assignments.ts';
import type { AuditLog, AuditRecord } from '../../state/audit-log.ts';
import type { AzureClients } from '../../azure/clients.ts';

/** What a role-assignment action put on record before it acted: enough to put the assignment back as it was. */
const PriorRoleAssignment = z.object({
  id: z.string(),
  name: z.string(),
  scope: z.string(),
  roleDefinitionId: z.string(),
  principalId: z.string(),
  principalType: z.enum(['User', 'Group', 'ServicePrincipal', 'ForeignGroup']),
  condition: z.string().nullable(),
});

export class RestoreError extends Error {
  override readonly name = 'RestoreError';
  constructor(
    readonly auditId: string,
    message: string,
  ) {
    super(`cannot restore ${auditId}: ${message}`);
  }
}

export interface RestoreContext {
  clients: AzureClients;
  audit: AuditLog;
  actor: string;
  policyHash: string;
  now(): Date;
}

/**
 * `idwarden restore <auditId>`: re-creates what a role-assignment removal or down-scope took away, with the same
 * assignment name, role, scope, principal and condition, and records the restore in the audit log. Restoring
 * something that is back already is a no-op that says so.
 */
export async function restoreFromAudit(auditId: string, ctx: RestoreContext): Promise<AuditRecord> {
  const record = await ctx.audit.get(auditId);
  if (!record) throw new RestoreError(auditId, 'no such audit record');
  if (record.kind !== 'action' || !['deleted', 'downscoped'].includes(record.outcome)) {
    throw new RestoreError(auditId, `it records '${record.kind} ${record.outcome}', not a removal the bot carried out`);
  }
  const prior = PriorRoleAssignment.safeParse(record.priorState);
  if (!prior.success) throw new RestoreError(auditId, 'its prior state is not a role assignment');
  const requestIds: string[] = [];
  const assignment = prior.data;
  const outcome = await putBack(new RoleAssignments(ctx.clients), assignment, (id) => requestIds.push(id));
  return ctx.audit.append({
    at: ctx.now(),
    kind: 'restore',
    ...(record.findingId ? { findingId: record.findingId } : {}),
    ...(record.ruleId ? { ruleId: record.ruleId } : {}),
    action: 'restore-role-assignment',
    dryRun: false,
    outcome,
    reason: `restore of ${auditId}: ${assignment.id}`,
    policyHash: ctx.policyHash,
    actor: ctx.actor,
    target: assignment.id,
    priorState: record.priorState,
    requestIds,
    runId: `restore-${auditId}`,
  });
}

/** Creates the assignment unless it (or the same role for the same principal at the same scope) is there already. */
async function putBack(assignments: RoleAssignments, assignment: z.infer<typeof PriorRoleAssignment>, requestId: (id: string) => void): Promise<'restored' | 'already-present'> {
  try {
    await assignments.get(assignment.id, requestId);
    return 'already-present';
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  try {
    await assignments.create(
      assignment.scope,
      {
        name: assignment.name,
        roleDefinitionId: assignment.roleDefinitionId,
        principalId: assignment.principalId,
        principalType: assignment.principalType,
        ...(assignment.condition ? { condition: assignment.condition } : {}),
      },
      requestId,
    );
    return 'restored';
  } catch (error) {
    if (error instanceof AzureApiError && error.code === 'RoleAssignmentExists') return 'already-present';
    throw error;
  }
}
