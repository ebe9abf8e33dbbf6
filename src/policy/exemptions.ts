import type { FindingDraft } from '../rules/rule.ts';
import type { PolicyExemption } from './schema.ts';
import { scopeWithin, type ManagementGroupAncestry } from './scope.ts';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The first instant an exemption no longer applies: a date means "through that day" (UTC), a date-time is exact. */
export function exemptionEndsAt(exemption: Pick<PolicyExemption, 'expires'>): Date {
  return DATE_ONLY.test(exemption.expires) ? new Date(Date.parse(`${exemption.expires}T00:00:00Z`) + DAY_MS) : new Date(exemption.expires);
}

export function exemptionExpired(exemption: Pick<PolicyExemption, 'expires'>, asOf: Date): boolean {
  return asOf.getTime() >= exemptionEndsAt(exemption).getTime();
}

const sameId = (a: string, b: string | undefined) => b !== undefined && a.toLowerCase() === b.toLowerCase();
/** A selector the exemption does not give does not narrow it. */
const unlessGiven = (selector: string | undefined, matches: (selector: string) => boolean) => selector === undefined || matches(selector);

/** Where a finding is, for scope selectors: its scope, or for findings without one the identity it is about. */
const placeOf = (draft: FindingDraft) => draft.scope ?? draft.identityResourceId;

/**
 * Whether an exemption covers a finding: same rule, and every selector the exemption gives matches (a narrower
 * exemption is never widened by one selector happening to match). ARM ids and GUIDs compare case-insensitively.
 */
export function exemptionMatches(exemption: PolicyExemption, draft: FindingDraft, ancestry?: ManagementGroupAncestry): boolean {
  if (exemption.rule !== draft.ruleId) return false;
  const place = placeOf(draft);
  return (
    unlessGiven(exemption.principalId, (id) => sameId(id, draft.principalId)) &&
    unlessGiven(exemption.scope, (scope) => place !== undefined && scopeWithin(place, scope, ancestry)) &&
    unlessGiven(exemption.roleAssignmentId, (id) => sameId(id, draft.roleAssignmentId)) &&
    unlessGiven(exemption.identityResourceId, (id) => sameId(id, draft.identityResourceId))
  );
}
