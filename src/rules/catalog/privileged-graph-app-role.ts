/**
 * privileged-graph-app-role: a workload identity holds a high-privilege Microsoft Graph application permission.
 *
 * Fires when an app-role grant of a workload identity (managed identities always, app service principals
 * per policy) is a Microsoft Graph permission classified in `data/graph-permission-tiers.json` with a
 * tier listed in `tiers`, or named in `extraPermissions` (permission value or app-role id; reported as
 * high). The grant is known to be on Microsoft Graph when the inventory resolved its `permission` (it does
 * so only for Graph), when its resource is named "Microsoft Graph", or when its resource name is unknown
 * and its app-role id is a Graph permission id. Severity follows the tier (critical / high).
 * Stays quiet for grants on other APIs (an app role of another resource that happens to reuse an id),
 * for permissions outside the selected tiers (Directory.Read.All, User.Read.All ...), and for principals
 * of unknown kind or that are not workload identities.
 * One finding per (principal, resource, app role).
 * `action: remediate` (opt-in) removes the grant (src/actions/remediate/graph-app-role.ts); the bot then needs
 * AppRoleAssignment.ReadWrite.All, itself a critical permission.
 *
 * Example policy:
 *   rules:
 *     privileged-graph-app-role: { action: ticket, tiers: [critical], extraPermissions: [Calendars.ReadWrite] }
 */
import { z } from 'zod';
import { fingerprint } from '../../model/finding.ts';
import type { AppRoleGrantRecord } from '../../model/snapshot.ts';
import { identityLocation, isWorkloadIdentity, principalFields } from '../finding-fields.ts';
import { classifyGraphAppRoleId, classifyGraphPermission, GRAPH_PERMISSION_TIERS, type GraphPermissionTier } from '../privilege-data.ts';
import type { FindingDraft, Rule, RuleContext } from '../rule.ts';
import type { SnapshotIndex } from '../snapshot-index.ts';

const Params = z.object({
  /** Which tiers of the classification to report. */
  tiers: z.array(z.enum(GRAPH_PERMISSION_TIERS)).default(['critical', 'high']),
  /** More Graph permissions to report, by value (Calendars.ReadWrite) or app-role id; reported as high. */
  extraPermissions: z.array(z.string().min(1)).default([]),
});
type Params = z.infer<typeof Params>;

const MICROSOFT_GRAPH = 'microsoft graph';

export const privilegedGraphAppRole: Rule<Params> = {
  id: 'privileged-graph-app-role',
  title: 'Workload identity with a high-privilege Microsoft Graph permission',
  defaultSeverity: 'high',
  defaultAction: 'ticket',
  allowedActions: ['report', 'alert', 'ticket', 'remediate'],
  params: Params,
  evaluate(index, params, context) {
    const extras = new Set(params.extraPermissions.map((permission) => permission.toLowerCase()));
    return index.snapshot.appRoleGrants.map((grant) => judge(index, params, extras, context, grant)).filter((finding) => finding !== null);
  },
};

interface Classification {
  value: string;
  tier: GraphPermissionTier | 'extra';
  why: string | null;
}

function judge(index: SnapshotIndex, params: Params, extras: Set<string>, context: RuleContext, grant: AppRoleGrantRecord): FindingDraft | null {
  const classification = classify(grant, params, extras);
  if (!classification || !isWorkloadIdentity(index, grant.principalId, context)) return null;

  const subject = principalFields(index, grant.principalId);
  const who = subject.principalDisplayName ?? grant.principalId;
  return {
    id: fingerprint(privilegedGraphAppRole.id, grant.principalId, grant.resourceId, grant.appRoleId),
    ruleId: privilegedGraphAppRole.id,
    severity: classification.tier === 'critical' ? 'critical' : 'high',
    title: `${who} holds Microsoft Graph ${classification.value}`,
    description: `${who} (${subject.principalType}) holds the application permission ${classification.value} on Microsoft Graph${classification.why ? `: ${classification.why}` : ' (listed in the policy).'}`,
    ...subject,
    ...identityLocation(subject.identityResourceId ?? null),
    appRoleAssignmentId: grant.id,
    graphPermission: classification.value,
    evidence: {
      tier: classification.tier,
      appRoleId: grant.appRoleId,
      resourceId: grant.resourceId,
      resourceDisplayName: grant.resourceDisplayName,
      grantedAt: grant.createdDateTime,
    },
  };
}

function classify(grant: AppRoleGrantRecord, params: Params, extras: Set<string>): Classification | null {
  if (!isOnMicrosoftGraph(grant)) return null;
  const known = grant.permission ? classifyGraphPermission(grant.permission) : classifyGraphAppRoleId(grant.appRoleId);
  if (known && params.tiers.includes(known.tier)) return { value: known.value, tier: known.tier, why: known.why };
  const value = grant.permission ?? known?.value ?? grant.appRoleId;
  if (extras.has(value.toLowerCase()) || extras.has(grant.appRoleId.toLowerCase())) return { value, tier: 'extra', why: null };
  return null;
}

/** Graph is named by the inventory (permission resolved), by display name, or, when the name is unknown, by its well-known role ids. */
function isOnMicrosoftGraph(grant: AppRoleGrantRecord): boolean {
  if (grant.permission !== null) return true;
  if (grant.resourceDisplayName !== null) return grant.resourceDisplayName.toLowerCase() === MICROSOFT_GRAPH;
  return classifyGraphAppRoleId(grant.appRoleId) !== undefined;
}
