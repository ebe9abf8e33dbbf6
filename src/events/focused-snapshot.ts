import type { InventoryGap, PrincipalRecord, Snapshot } from '../model/snapshot.ts';
import { RULE_IDS, type RuleId } from '../rules/rule.ts';
import type { JudgeableObject } from './affected-object.ts';
import type { FocusedFacts } from './live-reader.ts';
import type { ArmEvent } from './schema.ts';
import type { ObjectKind } from './watched-operations.ts';

/**
 * A partial Snapshot around the one object an event named, for the same rules the sweep runs. It says what it is:
 * every area carries a gap ("not read on the event path"), so `isComplete` is false everywhere and the rules that need
 * a full inventory (unattached, orphaned identity principal, stale, group membership) stay silent; the event path
 * also runs only the rules that can judge the object from what was read (`relevantRules`).
 */

/** The rules that can judge each kind of object from a focused read. Deletes judge nothing: they resolve. */
const EVENT_PATH_RULES: Record<ObjectKind, readonly RuleId[]> = {
  roleAssignment: ['privileged-role-broad-scope', 'unconstrained-role-delegation', 'custom-role-wildcard', 'orphaned-role-assignment'],
  // A changed role changes what each of its assignments grants; whether their principals exist is another matter.
  roleDefinition: ['privileged-role-broad-scope', 'unconstrained-role-delegation', 'custom-role-wildcard'],
  userAssignedIdentity: ['new-identity'],
  identityHolder: ['new-identity'],
};

export function relevantRules(kind: ObjectKind): readonly RuleId[] {
  return EVENT_PATH_RULES[kind];
}

/**
 * The rules whose findings about an object are resolved when the object is gone: all of them, except that an
 * identity's disappearance is exactly what orphaned-identity-principal reports about the principal it leaves behind.
 */
export function rulesResolvedWhenGone(kind: ObjectKind): readonly RuleId[] {
  return kind === 'userAssignedIdentity' || kind === 'identityHolder' ? RULE_IDS.filter((id) => id !== 'orphaned-identity-principal') : RULE_IDS;
}

const ALL_AREAS: readonly InventoryGap['area'][] = [
  'roleAssignments',
  'roleDefinitions',
  'identities',
  'resources',
  'principals',
  'servicePrincipals',
  'appRoleGrants',
  'directoryRoles',
  'groups',
  'signIns',
];

export interface FocusContext {
  tenantId: string;
  takenAt: Date;
  event: ArmEvent;
  object: JudgeableObject;
}

/**
 * When the identity was created, as far as the event path can tell. ARM's systemData wins. Without it: a write that
 * created a user-assigned identity created it at the event's time; a resource write may be the one that enabled its
 * system-assigned identity, and ARM records no time for that, so the event's own time stands in (the finding's id is
 * the same for the same identity, however many writes report it).
 */
function createdAtFromEvent(context: FocusContext, recorded: string | null, kind: 'userAssigned' | 'systemAssigned'): string | null {
  if (recorded !== null) return recorded;
  if (kind === 'systemAssigned') return context.event.eventTime;
  return context.object.kind === 'userAssignedIdentity' && context.event.httpMethod === null ? context.event.eventTime : null;
}

export function focusedSnapshot(facts: FocusedFacts, context: FocusContext): Snapshot {
  const userAssignedIdentities = facts.userAssignedIdentities.map((identity) => ({ ...identity, createdAt: createdAtFromEvent(context, identity.createdAt, 'userAssigned') }));
  const identityHolders = facts.identityHolders.map((holder) => ({ ...holder, createdAt: createdAtFromEvent(context, holder.createdAt, 'systemAssigned') }));
  // ARM names the service principal of each identity it returned: the MSI resource provider created it.
  const managedIdentityPrincipals: PrincipalRecord[] = [
    ...userAssignedIdentities.map(
      (identity): PrincipalRecord => ({
        id: identity.principalId,
        kind: 'managedIdentity',
        displayName: identity.name,
        appId: identity.clientId,
        managedIdentityResourceId: identity.id,
        managedIdentityType: 'userAssigned',
      }),
    ),
    ...identityHolders.flatMap((holder): PrincipalRecord[] =>
      holder.systemAssignedPrincipalId
        ? [{ id: holder.systemAssignedPrincipalId, kind: 'managedIdentity', displayName: holder.name, appId: null, managedIdentityResourceId: holder.id, managedIdentityType: 'systemAssigned' }]
        : [],
    ),
  ];
  const notRead: InventoryGap[] = ALL_AREAS.map((area) => ({ area, reason: `not read on the event path: a focused read around ${context.object.kind} ${context.object.id}` }));
  return {
    tenantId: context.tenantId,
    takenAt: context.takenAt.toISOString(),
    subscriptions: facts.subscriptions,
    managementGroups: [],
    roleDefinitions: facts.roleDefinitions,
    roleAssignments: facts.roleAssignments,
    userAssignedIdentities,
    identityHolders,
    managedIdentityPrincipals,
    principals: facts.principals,
    appRoleGrants: [],
    directoryRoleAssignments: [],
    groups: [],
    memberOf: {},
    lastSignIns: null,
    gaps: [...notRead, ...facts.failures],
  };
}
