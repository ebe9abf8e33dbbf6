import { z } from 'zod';
import { SEVERITIES } from './finding.ts';

/** The finding contract (DESIGN.md §5) as a schema, for whatever reads findings back: reports, state, tests. */
export const FindingSchema = z.strictObject({
  id: z.string().regex(/^[a-z-]+:[0-9a-f]{20}$/),
  ruleId: z.string().min(1),
  severity: z.enum(SEVERITIES),
  title: z.string().min(1),
  description: z.string().min(1),
  tenantId: z.string().min(1),
  subscriptionId: z.string().optional(),
  scope: z.string().optional(),
  principalId: z.string().optional(),
  principalType: z.string().optional(),
  principalDisplayName: z.string().optional(),
  identityResourceId: z.string().optional(),
  roleAssignmentId: z.string().optional(),
  roleDefinitionId: z.string().optional(),
  roleName: z.string().optional(),
  appRoleAssignmentId: z.string().optional(),
  graphPermission: z.string().optional(),
  directoryRole: z.string().optional(),
  groupId: z.string().optional(),
  evidence: z.record(z.string(), z.unknown()),
  detectedAt: z.iso.datetime({ offset: true }),
  source: z.enum(['event', 'sweep']),
  decision: z.strictObject({
    action: z.enum(['report', 'alert', 'ticket', 'remediate']),
    dryRun: z.boolean(),
    exemption: z.strictObject({ reason: z.string(), approvedBy: z.string().nullable(), expires: z.string().nullable() }).optional(),
    notes: z.array(z.string()).optional(),
  }),
});
