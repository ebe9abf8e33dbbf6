import { AppRoleAssignments } from '../../azure/app-role-assignments.ts';
import { orGone } from '../../azure/errors.ts';
import { ManagedIdentities } from '../../azure/managed-identities.ts';
import type { RequestIdSink } from '../../azure/request-ids.ts';
import { RoleAssignments } from '../../azure/role-assignments.ts';
import type { AzureClients } from '../../azure/clients.ts';
import type { AuditRecord } from '../../state/audit-log.ts';
import type { RemediationContext } from './context.ts';
import { DELETE_GRAPH_APP_ROLE } from './graph-app-role.ts';
import { DELETE_USER_ASSIGNED_IDENTITY } from './unattached-identity.ts';

/** What a later attempt found an interrupted remediation to have done. */
export interface ReconciledAction {
  /** The 'acting' record that had no outcome. */
  actingId: string;
  findingId: string | undefined;
  /** `deleted` / `downscoped`: the change had taken effect; `interrupted`: it had not, the target is as it was. */
  outcome: 'deleted' | 'downscoped' | 'interrupted';
  auditId: string;
  /** False when another reconciler (a redelivery, a backstop) gave the outcome first: this one found its record. */
  recordedHere: boolean;
}

/** What reconciling needs: the live reads, the audit log, and who and when. */
export type ReconcileContext = Pick<RemediationContext, 'clients' | 'audit' | 'botPrincipalId' | 'now'>;

/** What the earlier attempts of one piece of work left behind, once their interrupted actions have their outcome. */
export interface EarlierAttempts {
  reconciled: ReconciledAction[];
  /** The findings whose removal the earlier attempts carried out (those just reconciled included). */
  removed: string[];
}

/** Whether the target of an interrupted action is still in place, read live. */
type Probe = (acting: AuditRecord, clients: AzureClients, collect: RequestIdSink) => Promise<'present' | 'gone'>;

const probeRoleAssignment: Probe = async (acting, clients, collect) => ((await orGone(() => new RoleAssignments(clients).get(acting.target, collect))) ? 'present' : 'gone');

const probeAppRole: Probe = async (acting, clients, collect) => {
  const [, principalId, assignmentId] = /^\/servicePrincipals\/([^/]+)\/appRoleAssignments\/([^/]+)$/.exec(acting.target) ?? [];
  if (!principalId || !assignmentId) throw new Error(`the target ${acting.target} of audit record ${acting.id} is not an app-role assignment path`);
  // The service principal gone (404) takes its grants with it.
  const grants = await orGone(() => new AppRoleAssignments(clients).listOf(principalId, collect));
  return grants?.some((grant) => grant.id === assignmentId) ? 'present' : 'gone';
};

const probeIdentity: Probe = async (acting, clients, collect) => {
  const live = await orGone(() => new ManagedIdentities(clients).getUserAssigned(acting.target, collect));
  if (!live) return 'gone';
  // The same name with another principal is an identity created again after the delete.
  const prior = (acting.priorState as { principalId?: string } | undefined)?.principalId;
  return prior && live.principalId.toLowerCase() !== prior.toLowerCase() ? 'gone' : 'present';
};

const PROBES: Readonly<Record<string, Probe>> = {
  'delete-role-assignment': probeRoleAssignment,
  'downscope-role-assignment': probeRoleAssignment,
  [DELETE_GRAPH_APP_ROLE]: probeAppRole,
  [DELETE_USER_ASSIGNED_IDENTITY]: probeIdentity,
};

/** The writer tag at the end of an audit id: which process (audit log instance) wrote the record. */
const writerOf = (record: AuditRecord) => record.id.slice(record.id.lastIndexOf('-') + 1);
const subjectOf = (record: AuditRecord) => `${record.findingId ?? ''}\u0000${record.target.toLowerCase()}\u0000${writerOf(record)}`;
const CLOSING_KINDS: ReadonlySet<AuditRecord['kind']> = new Set(['action', 'action-failed', 'skipped']);

/**
 * The 'acting' records among `records` (time order) that nothing gave an outcome: a remediation's own outcome is
 * written by the process that wrote its 'acting' record, right after it, for the same finding and target; a
 * reconciliation names the record it closes.
 */
export function openActions(records: readonly AuditRecord[]): AuditRecord[] {
  const open = new Map<string, AuditRecord>();
  for (const record of records) {
    if (record.kind === 'decision' && record.outcome === 'acting') {
      open.set(record.id, record);
    } else if (record.reconciles) {
      open.delete(record.reconciles);
    } else if (CLOSING_KINDS.has(record.kind)) {
      const acting = [...open.values()].findLast((candidate) => subjectOf(candidate) === subjectOf(record));
      if (acting) open.delete(acting.id);
    }
  }
  return [...open.values()];
}

/**
 * Gives each remediation that an earlier attempt of this same work (the run and correlation id of `ctx`) started and
 * never finished its outcome: the process died between the 'acting' record and the record of what happened. Only a
 * redelivery calls this: the host delivers the work again once the earlier attempt is gone, so nothing else is still
 * acting under these ids. A backstop (backstop.ts) may be closing the same records at the same time: whichever
 * writes first gives the outcome, and the other reads it.
 *
 * The finding is judged again by this attempt, which acts on it afresh if it still applies. A read that fails throws:
 * the outcome is not guessed, and the host retries the work.
 */
export async function reconcileInterruptedActions(ctx: RemediationContext): Promise<EarlierAttempts> {
  const records = (await ctx.audit.list({ runId: ctx.runId })).filter((record) => record.correlationId === ctx.correlationId);
  const removed = new Set(records.filter((record) => record.kind === 'action' && record.findingId).map((record) => record.findingId!));
  const reconciled: ReconciledAction[] = [];
  for (const acting of openActions(records)) {
    const action = await reconcileAction(acting, ctx);
    reconciled.push(action);
    if (action.outcome !== 'interrupted' && acting.findingId) removed.add(acting.findingId);
  }
  return { reconciled, removed: [...removed] };
}

/**
 * Gives one 'acting' record whose writer is gone its outcome, read live. Gone: the change took effect, and the removal
 * is recorded as that attempt's, with the prior state it put on record (so `idwarden restore` can undo it), under
 * the acting record's run and correlation id. In place: it was stopped before its change took effect, recorded as
 * `interrupted`. `foundBy` says, in the reason, who found it when it was not the work's own redelivery.
 *
 * The caller vouches that the writer is gone (a redelivery of its work, or its age past the Functions time limit):
 * a live attempt could still be about to act. Recorded at most once whoever calls, concurrently or not
 * (AuditLog.appendReconciliation).
 */
export async function reconcileAction(acting: AuditRecord, ctx: ReconcileContext, foundBy?: string): Promise<ReconciledAction> {
  const probe = PROBES[acting.action ?? ''];
  if (!probe) throw new Error(`audit record ${acting.id} is an unfinished '${acting.action}', which no reconciliation knows how to read`);
  const requestIds: string[] = [];
  const state = await probe(acting, ctx.clients, (id) => void requestIds.push(id));
  const at = ctx.now();
  const done = state === 'gone';
  const outcome = done ? (acting.action === 'downscope-role-assignment' ? 'downscoped' : 'deleted') : 'interrupted';
  const found = foundBy ? `; found by ${foundBy}` : '';
  const reason = done
    ? `${acting.reason}: carried out by an attempt that stopped before recording it (acting record ${acting.id}); ${acting.target} was found gone at ${at.toISOString()}${found}`
    : `${acting.reason}: not carried out; the attempt stopped after deciding to act (acting record ${acting.id}) and ${acting.target} was found unchanged at ${at.toISOString()}${found}`;
  const { record, created } = await ctx.audit.appendReconciliation({
    at,
    kind: done ? 'action' : 'action-failed',
    ...(acting.findingId ? { findingId: acting.findingId } : {}),
    ...(acting.ruleId ? { ruleId: acting.ruleId } : {}),
    ...(acting.action ? { action: acting.action } : {}),
    dryRun: false,
    outcome,
    reason,
    // The action was decided under the policy of its 'acting' record.
    policyHash: acting.policyHash,
    actor: ctx.botPrincipalId,
    target: acting.target,
    ...(acting.priorState !== undefined ? { priorState: acting.priorState } : {}),
    requestIds: [...acting.requestIds, ...requestIds],
    ...(acting.correlationId ? { correlationId: acting.correlationId } : {}),
    runId: acting.runId,
    reconciles: acting.id,
  });
  return { actingId: acting.id, findingId: acting.findingId, outcome: reconciledOutcome(record), auditId: record.id, recordedHere: created };
}

const RECONCILED_OUTCOMES = new Set<string>(['deleted', 'downscoped', 'interrupted'] satisfies ReconciledAction['outcome'][]);

/** The outcome a reconciliation record gives, whoever wrote it. */
function reconciledOutcome(record: AuditRecord): ReconciledAction['outcome'] {
  if (!RECONCILED_OUTCOMES.has(record.outcome)) throw new Error(`audit record ${record.id} reconciles ${record.reconciles} with '${record.outcome}', which is no reconciliation outcome`);
  return record.outcome as ReconciledAction['outcome'];
}
