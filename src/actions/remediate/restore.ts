import { z } from 'zod';
import { AppRoleAssignments, type AppRoleAssignmentRecord } from '../../azure/app-role-assignments.ts';
import { AzureApiError, isNotFound } from '../../azure/errors.ts';
import type { RequestIdSink } from '../../azure/request-ids.ts';
import { RoleAssignments } from '../../azure/role-assignments.ts';
import type { AuditLog, AuditRecord } from '../../state/audit-log.ts';
import type { AzureClients } from '../../azure/clients.ts';
import { appRoleAssignmentPath, DELETE_GRAPH_APP_ROLE } from './graph-app-role.ts';
import { DELETE_USER_ASSIGNED_IDENTITY, IDENTITY_DELETION_IS_FINAL } from './unattached-identity.ts';

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

/** What a Graph app-role removal put on record: the grant as Graph returned it (these fields grant it again). */
const PriorAppRoleAssignment = z.object({
  id: z.string(),
  principalId: z.string(),
  resourceId: z.string(),
  appRoleId: z.string(),
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

/** What one kind of restore did: its outcome, the object it names, and the audit action it is recorded as. */
interface Restored {
  action: string;
  outcome: 'restored' | 'already-present';
  target: string;
}

/**
 * `idwarden restore <auditId>`: re-creates what a removal took away and records the restore in the audit log.
 * A role assignment (removed or down-scoped) comes back with the same assignment name, role, scope, principal and
 * condition; a Microsoft Graph app-role assignment is granted again (same principal, resource and app role; Graph
 * gives the new grant its own id). Restoring something that is back already is a no-op that says so. A deleted
 * user-assigned identity cannot be restored, and saying so is a RestoreError.
 */
export async function restoreFromAudit(auditId: string, ctx: RestoreContext): Promise<AuditRecord> {
  const record = await ctx.audit.get(auditId);
  if (!record) throw new RestoreError(auditId, 'no such audit record');
  if (record.kind !== 'action' || !['deleted', 'downscoped'].includes(record.outcome)) {
    throw new RestoreError(auditId, `it records '${record.kind} ${record.outcome}', not a removal the bot carried out`);
  }
  if (record.action === DELETE_USER_ASSIGNED_IDENTITY) throw new RestoreError(auditId, IDENTITY_DELETION_IS_FINAL);
  const requestIds: string[] = [];
  const collect: RequestIdSink = (id) => void requestIds.push(id);
  const restored = record.action === DELETE_GRAPH_APP_ROLE ? await restoreAppRole(auditId, record, ctx, collect) : await restoreRoleAssignment(auditId, record, ctx, collect);
  return ctx.audit.append({
    at: ctx.now(),
    kind: 'restore',
    ...(record.findingId ? { findingId: record.findingId } : {}),
    ...(record.ruleId ? { ruleId: record.ruleId } : {}),
    action: restored.action,
    dryRun: false,
    outcome: restored.outcome,
    reason: `restore of ${auditId}: ${restored.target}`,
    policyHash: ctx.policyHash,
    actor: ctx.actor,
    target: restored.target,
    priorState: record.priorState,
    requestIds,
    runId: `restore-${auditId}`,
  });
}

async function restoreRoleAssignment(auditId: string, record: AuditRecord, ctx: RestoreContext, requestId: RequestIdSink): Promise<Restored> {
  const prior = PriorRoleAssignment.safeParse(record.priorState);
  if (!prior.success) throw new RestoreError(auditId, 'its prior state is not a role assignment');
  const outcome = await putBack(new RoleAssignments(ctx.clients), prior.data, requestId);
  return { action: 'restore-role-assignment', outcome, target: prior.data.id };
}

/** Grants the app role again unless the principal holds it already (Graph refuses a duplicate grant). */
async function restoreAppRole(auditId: string, record: AuditRecord, ctx: RestoreContext, requestId: RequestIdSink): Promise<Restored> {
  const prior = PriorAppRoleAssignment.safeParse(record.priorState);
  if (!prior.success) throw new RestoreError(auditId, 'its prior state is not an app-role assignment');
  const { principalId, resourceId, appRoleId } = prior.data;
  const grants = new AppRoleAssignments(ctx.clients);
  let held: AppRoleAssignmentRecord[];
  try {
    held = await grants.listOf(principalId, requestId);
  } catch (error) {
    if (isNotFound(error)) throw new RestoreError(auditId, `the service principal ${principalId} no longer exists`);
    throw error;
  }
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  const existing = held.find((grant) => same(grant.resourceId, resourceId) && same(grant.appRoleId, appRoleId));
  const granted = existing ?? (await grants.grant(principalId, { resourceId, appRoleId }, requestId));
  return { action: 'restore-graph-app-role-assignment', outcome: existing ? 'already-present' : 'restored', target: appRoleAssignmentPath(principalId, granted.id) };
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
