/**
 * unattached-user-assigned-identity: a user-assigned identity that no resource uses.
 *
 * Fires when no resource in the snapshot lists the identity in its `identity.userAssignedIdentities` and
 * the identity is older than `graceHours` (a fresh identity is often created before the resource that
 * will use it). An identity whose creation time is unknown fires only with `treatUnknownAgeAsOld`.
 * Stays quiet when its subscription was not swept or has an inventory gap in `identities` or
 * `resources` (a consumer could be hiding there), and while it is attached anywhere.
 * Known limit: a consumer in another subscription is only seen when that subscription was swept too.
 * One finding per identity resource id.
 * `action: remediate` (opt-in) deletes the identity once it provably holds nothing
 * (src/actions/remediate/unattached-identity.ts); a deleted identity cannot be restored.
 *
 * Example policy:
 *   rules:
 *     unattached-user-assigned-identity: { action: ticket, graceHours: 336 }
 */
import { z } from 'zod';
import { fingerprint } from '../../model/finding.ts';
import type { UserAssignedIdentityRecord } from '../../model/snapshot.ts';
import { subscriptionIdOf } from '../arm-scope.ts';
import { identityLocation, principalFields } from '../finding-fields.ts';
import type { FindingDraft, Rule, RuleContext } from '../rule.ts';
import type { SnapshotIndex } from '../snapshot-index.ts';
import { ageInHours, HOUR_MS, instant } from '../time.ts';

const Params = z.object({
  /** How long an identity may stay unattached before it is reported (default one week). */
  graceHours: z.number().nonnegative().default(168),
  /** Report identities whose creation time is unknown as if they were old. */
  treatUnknownAgeAsOld: z.boolean().default(false),
});
type Params = z.infer<typeof Params>;

export const unattachedUserAssignedIdentity: Rule<Params> = {
  id: 'unattached-user-assigned-identity',
  title: 'User-assigned identity attached to no resource',
  defaultSeverity: 'low',
  defaultAction: 'ticket',
  allowedActions: ['report', 'alert', 'ticket', 'remediate'],
  params: Params,
  evaluate(index, params, context) {
    return index.snapshot.userAssignedIdentities.map((identity) => judge(index, params, context, identity)).filter((finding) => finding !== null);
  },
};

function judge(index: SnapshotIndex, params: Params, context: RuleContext, identity: UserAssignedIdentityRecord): FindingDraft | null {
  if (index.consumersOf(identity.id).length > 0) return null;
  const subscriptionId = subscriptionIdOf(identity.id) ?? identity.subscriptionId;
  if (!index.isComplete(subscriptionId, ['identities', 'resources'])) return null;
  const createdAt = instant(identity.createdAt);
  if (createdAt === null ? !params.treatUnknownAgeAsOld : context.asOf.getTime() - createdAt < params.graceHours * HOUR_MS) return null;

  const age = createdAt === null ? null : ageInHours(createdAt, context.asOf);
  const assignments = index.assignmentsOf(identity.principalId);
  return {
    id: fingerprint(unattachedUserAssignedIdentity.id, identity.id),
    ruleId: unattachedUserAssignedIdentity.id,
    severity: unattachedUserAssignedIdentity.defaultSeverity,
    title: `User-assigned identity ${identity.name} is attached to no resource`,
    description: `${identity.id} is used by no resource${age === null ? ' (creation time unknown)' : ` and was created ${age} hours ago`}. An idle identity that keeps ${assignments.length} role assignment(s) is access nobody needs; delete it or attach it.`,
    ...principalFields(index, identity.principalId),
    ...identityLocation(identity.id),
    identityResourceId: identity.id,
    evidence: {
      consumerCount: 0,
      createdAt: identity.createdAt,
      ageHours: age,
      graceHours: params.graceHours,
      ageUnknownTreatedAsOld: createdAt === null,
      roleAssignmentCount: assignments.length,
      graphAppRoleCount: index.appRoleGrantsOf(identity.principalId).length,
      inventoryComplete: { subscriptionId, areas: ['identities', 'resources'] },
    },
  };
}
