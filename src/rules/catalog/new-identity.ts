/**
 * new-identity: a managed identity appeared recently, so someone should look at what it is for.
 *
 * Fires when a user-assigned identity was created, or a resource holding a system-assigned identity was
 * created, within `withinHours` before `asOf` (inclusive at both ends). The sweep has no "identity
 * enabled at" time for system-assigned identities, so the resource's creation time stands in for it; a
 * resource that gains one later is caught on the event path, which judges the event's own time.
 * Stays quiet when the creation time is unknown or unreadable, or lies after `asOf` (a scan as of the
 * past does not see the future).
 * One finding per identity principal: the fingerprint is (identity resource id, principal id), so the
 * same identity deleted and created again under the same name is a new finding.
 *
 * Example policy:
 *   rules:
 *     new-identity: { action: alert, withinHours: 48 }
 */
import { z } from 'zod';
import { fingerprint } from '../../model/finding.ts';
import { resourceNameOf } from '../arm-scope.ts';
import { identityLocation, principalFields } from '../finding-fields.ts';
import type { FindingDraft, Rule, RuleContext } from '../rule.ts';
import type { SnapshotIndex } from '../snapshot-index.ts';
import { ageInHours, HOUR_MS, instant } from '../time.ts';

const Params = z.object({
  /** How far back before `asOf` a creation counts as new. */
  withinHours: z.number().positive().default(24),
});
type Params = z.infer<typeof Params>;

export const newIdentity: Rule<Params> = {
  id: 'new-identity',
  title: 'New managed identity',
  defaultSeverity: 'low',
  defaultAction: 'alert',
  allowedActions: ['report', 'alert', 'ticket'],
  params: Params,
  evaluate(index, params, context) {
    const snapshot = index.snapshot;
    const userAssigned = snapshot.userAssignedIdentities.map((identity) =>
      judge(index, params, context, { resourceId: identity.id, principalId: identity.principalId, createdAt: identity.createdAt, type: 'userAssigned' }),
    );
    const systemAssigned = snapshot.identityHolders.map((holder) =>
      holder.systemAssignedPrincipalId
        ? judge(index, params, context, { resourceId: holder.id, principalId: holder.systemAssignedPrincipalId, createdAt: holder.createdAt, type: 'systemAssigned' })
        : null,
    );
    return [...userAssigned, ...systemAssigned].filter((finding) => finding !== null);
  },
};

interface Candidate {
  resourceId: string;
  principalId: string;
  createdAt: string | null;
  type: 'userAssigned' | 'systemAssigned';
}

function judge(index: SnapshotIndex, params: Params, context: RuleContext, candidate: Candidate): FindingDraft | null {
  const createdAt = instant(candidate.createdAt);
  const asOf = context.asOf.getTime();
  if (createdAt === null || createdAt > asOf || createdAt < asOf - params.withinHours * HOUR_MS) return null;
  const kind = candidate.type === 'userAssigned' ? 'user-assigned identity' : 'system-assigned identity';
  const consumers = candidate.type === 'userAssigned' ? index.consumersOf(candidate.resourceId).map((holder) => holder.id) : [candidate.resourceId];
  return {
    id: fingerprint(newIdentity.id, candidate.resourceId, candidate.principalId),
    ruleId: newIdentity.id,
    severity: newIdentity.defaultSeverity,
    title: `New ${kind} ${resourceNameOf(candidate.resourceId)}`,
    description: `The ${kind} of ${candidate.resourceId} was created ${ageInHours(createdAt, context.asOf)} hours before the scan (window: ${params.withinHours} hours). Review who created it and what it may access.`,
    ...principalFields(index, candidate.principalId),
    ...identityLocation(candidate.resourceId),
    identityResourceId: candidate.resourceId,
    evidence: {
      identityType: candidate.type,
      createdAt: candidate.createdAt,
      ageHours: ageInHours(createdAt, context.asOf),
      withinHours: params.withinHours,
      attachedTo: consumers,
      roleAssignmentCount: index.assignmentsOf(candidate.principalId).length,
      graphAppRoleCount: index.appRoleGrantsOf(candidate.principalId).length,
    },
  };
}
