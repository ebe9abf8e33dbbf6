/**
 * orphaned-identity-principal: a managed-identity service principal whose Azure resource is gone.
 *
 * Fires when Graph lists a managed identity whose resource id (from `alternativeNames`) is neither a
 * user-assigned identity nor a resource holding an identity in the snapshot, no user-assigned identity
 * or resource claims its principal id, and the resource's subscription was swept completely (it is in
 * the snapshot's subscriptions with no `identities` or `resources` gap).
 * Stays quiet when the resource id is unknown or is not a subscription-level ARM id, when its
 * subscription was not swept or has a gap (the resource may simply be unseen), when anything in the
 * snapshot still claims the principal, and when a directory lookup of the principal failed or
 * contradicts Graph's listing (an inconsistent read is not evidence).
 * Detection is neutral: it reports the bot's own identity like any other; the action layer protects it.
 * One finding per principal id.
 *
 * Example policy:
 *   rules:
 *     orphaned-identity-principal: { action: ticket }
 */
import { z } from 'zod';
import { fingerprint } from '../../model/finding.ts';
import type { PrincipalRecord } from '../../model/snapshot.ts';
import { subscriptionIdOf } from '../arm-scope.ts';
import { identityLocation, principalFields } from '../finding-fields.ts';
import type { FindingDraft, Rule } from '../rule.ts';
import type { SnapshotIndex } from '../snapshot-index.ts';

const Params = z.object({});
type Params = z.infer<typeof Params>;

export const orphanedIdentityPrincipal: Rule<Params> = {
  id: 'orphaned-identity-principal',
  title: 'Managed identity whose resource no longer exists',
  defaultSeverity: 'medium',
  defaultAction: 'ticket',
  allowedActions: ['report', 'alert', 'ticket'],
  params: Params,
  evaluate(index) {
    return index.snapshot.managedIdentityPrincipals.map((principal) => judge(index, principal)).filter((finding) => finding !== null);
  },
};

function judge(index: SnapshotIndex, principal: PrincipalRecord): FindingDraft | null {
  const resourceId = principal.managedIdentityResourceId;
  const subscriptionId = resourceId ? subscriptionIdOf(resourceId) : null;
  if (!resourceId || !subscriptionId) return null;
  const state = index.principalState(principal.id);
  if (state && state.state !== 'found') return null;
  if (index.userAssignedIdentity(resourceId) || index.identityHolder(resourceId)) return null;
  if (index.userAssignedIdentityByPrincipal(principal.id) || index.holderOfSystemAssigned(principal.id)) return null;
  if (!index.isComplete(subscriptionId, ['identities', 'resources'])) return null;

  const assignments = index.assignmentsOf(principal.id);
  const grants = index.appRoleGrantsOf(principal.id);
  const directoryRoles = index.directoryRoleAssignmentsOf(principal.id);
  return {
    id: fingerprint(orphanedIdentityPrincipal.id, principal.id),
    ruleId: orphanedIdentityPrincipal.id,
    severity: orphanedIdentityPrincipal.defaultSeverity,
    title: `Managed identity ${principal.displayName ?? principal.id} outlived its resource`,
    description: `The managed identity service principal ${principal.id} belongs to ${resourceId}, which no longer exists in subscription ${subscriptionId}. It still holds ${assignments.length} Azure role assignment(s), ${grants.length} Graph app role(s) and ${directoryRoles.length} directory role(s).`,
    ...principalFields(index, principal.id),
    ...identityLocation(resourceId),
    identityResourceId: resourceId,
    evidence: {
      managedIdentityResourceId: resourceId,
      managedIdentityType: principal.managedIdentityType,
      resourceFound: false,
      subscriptionInventoried: { subscriptionId, areas: ['identities', 'resources'] },
      roleAssignmentIds: assignments.map((assignment) => assignment.id),
      graphAppRoles: grants.map((grant) => grant.permission ?? grant.appRoleId),
      directoryRoles: directoryRoles.map((role) => role.roleDisplayName),
    },
  };
}
