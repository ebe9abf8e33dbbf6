import { createHash } from 'node:crypto';
import type { Finding } from '../../model/finding.ts';

/**
 * A digest of what a finding says about the problem, so a ticket is commented on when the problem changes and left
 * alone when it is merely seen again. Material: severity, title, what and where (principal, role, scope, ids,
 * permission, directory role, group) and the evidence. Not material: when and how it was seen (detectedAt, source),
 * the decision (dry-run flips are about the bot, not the problem), the prose description (it repeats the fields), and
 * evidence that only measures elapsed time (`ageHours`, `ageDays`, `daysSinceSignIn` ...), which grows every run.
 */
const MATERIAL_FIELDS = [
  'ruleId',
  'severity',
  'title',
  'tenantId',
  'subscriptionId',
  'scope',
  'principalId',
  'principalType',
  'principalDisplayName',
  'identityResourceId',
  'roleAssignmentId',
  'roleDefinitionId',
  'roleName',
  'appRoleAssignmentId',
  'graphPermission',
  'directoryRole',
  'groupId',
] as const satisfies readonly (keyof Finding)[];

const ELAPSED_TIME = /^(age|daysSince|hoursSince)([A-Z]|$)/;

export function findingDigest(finding: Finding): string {
  const material: Record<string, unknown> = {};
  for (const field of MATERIAL_FIELDS) if (finding[field] !== undefined) material[field] = finding[field];
  material['evidence'] = Object.fromEntries(Object.entries(finding.evidence).filter(([key]) => !ELAPSED_TIME.test(key)));
  return createHash('sha256').update(canonicalJson(material)).digest('hex').slice(0, 32);
}

/** JSON with object keys sorted at every depth: the same content always hashes the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
