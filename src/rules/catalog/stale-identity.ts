/**
 * stale-identity: a managed identity that holds access but has not used it for `days` days.
 *
 * Fires for a managed identity (by principal kind) that holds at least one Azure role assignment
 * (directly or through a group), Graph app role or directory role, and either
 *  - its last sign-in lies `days` or more before `asOf`, or
 *  - it never signed in and was created `days` or more before `asOf` (creation: its user-assigned
 *    identity's or its resource's `createdAt`).
 * Stays quiet when sign-in data could not be read (`lastSignIns` null), when its appId is unknown, when
 * a sign-in lies after `asOf` (whether it was stale then cannot be known), for "never signed in" when
 * the creation time is unknown or when any sign-in data is missing (a `signIns` gap: absence is then
 * not evidence), and for identities that hold nothing.
 * One finding per principal id.
 *
 * Example policy:
 *   rules:
 *     stale-identity: { action: ticket, days: 60 }
 */
import { z } from 'zod';
import { fingerprint } from '../../model/finding.ts';
import { identityLocation, principalFields } from '../finding-fields.ts';
import type { FindingDraft, Rule, RuleContext } from '../rule.ts';
import type { SnapshotIndex } from '../snapshot-index.ts';
import { ageInDays, DAY_MS, instant } from '../time.ts';

const Params = z.object({
  /** Days without a sign-in after which an identity that holds access is stale. */
  days: z.number().int().positive().default(90),
});
type Params = z.infer<typeof Params>;

export const staleIdentity: Rule<Params> = {
  id: 'stale-identity',
  title: 'Managed identity unused for a long time that still holds access',
  defaultSeverity: 'medium',
  defaultAction: 'ticket',
  allowedActions: ['report', 'alert', 'ticket'],
  params: Params,
  evaluate(index, params, context) {
    if (index.snapshot.lastSignIns === null) return [];
    const signInsPartial = index.snapshot.gaps.some((gap) => gap.area === 'signIns');
    return index
      .managedIdentityPrincipalIds()
      .map((principalId) => judge(index, params, context, principalId, signInsPartial))
      .filter((finding) => finding !== null);
  },
};

function judge(index: SnapshotIndex, params: Params, context: RuleContext, principalId: string, signInsPartial: boolean): FindingDraft | null {
  const holdings = holdingsOf(index, principalId);
  if (holdings.total === 0) return null;
  const appId = index.appIdOf(principalId);
  if (!appId) return null;
  const lastSignIn = index.lastSignIn(appId);
  if (lastSignIn === 'unknown') return null;
  const threshold = context.asOf.getTime() - params.days * DAY_MS;

  let facts: Record<string, unknown>;
  let reason: string;
  if (lastSignIn === 'never') {
    const createdAtText = index.identityCreatedAt(principalId);
    const createdAt = instant(createdAtText);
    if (signInsPartial || createdAt === null || createdAt > threshold) return null;
    facts = { lastSignIn: null, neverSignedIn: true, createdAt: createdAtText, ageDays: ageInDays(createdAt, context.asOf) };
    reason = `has never signed in since it was created ${ageInDays(createdAt, context.asOf)} days ago`;
  } else {
    const signedInAt = instant(lastSignIn);
    if (signedInAt === null || signedInAt > threshold) return null;
    facts = { lastSignIn, neverSignedIn: false, daysSinceSignIn: ageInDays(signedInAt, context.asOf) };
    reason = `last signed in ${ageInDays(signedInAt, context.asOf)} days ago`;
  }

  const subject = principalFields(index, principalId);
  return {
    id: fingerprint(staleIdentity.id, principalId),
    ruleId: staleIdentity.id,
    severity: staleIdentity.defaultSeverity,
    title: `Managed identity ${subject.principalDisplayName ?? principalId} is unused but holds access`,
    description: `The managed identity ${reason} (threshold: ${params.days} days) and still holds ${holdings.roleAssignments + holdings.groupRoleAssignments} Azure role assignment(s), ${holdings.graphAppRoles} Graph app role(s) and ${holdings.directoryRoles} directory role(s).`,
    ...subject,
    ...identityLocation(subject.identityResourceId ?? null),
    evidence: { appId, days: params.days, ...facts, holdings },
  };
}

function holdingsOf(index: SnapshotIndex, principalId: string) {
  const roleAssignments = index.assignmentsOf(principalId).length;
  const groupRoleAssignments = index.groupsOf(principalId).reduce((count, groupId) => count + index.assignmentsOf(groupId).length, 0);
  const graphAppRoles = index.appRoleGrantsOf(principalId).length;
  const directoryRoles = index.directoryRoleAssignmentsOf(principalId).length;
  return { roleAssignments, groupRoleAssignments, graphAppRoles, directoryRoles, total: roleAssignments + groupRoleAssignments + graphAppRoles + directoryRoles };
}
