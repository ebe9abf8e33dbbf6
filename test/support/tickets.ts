import { fingerprint, type Finding } from '../../src/model/finding.ts';
import { SUB_PROD, TENANT_ID, UAMI_ID, UAMI_PRINCIPAL } from './ids.ts';

/** A privileged-role finding decided `ticket` in enforce mode; override any field. */
export function ticketFinding(overrides: Partial<Finding> = {}): Finding {
  const scope = overrides.scope ?? `/subscriptions/${SUB_PROD}`;
  const principalId = overrides.principalId ?? UAMI_PRINCIPAL;
  return {
    id: fingerprint('privileged-role-broad-scope', principalId, scope),
    ruleId: 'privileged-role-broad-scope',
    severity: 'high',
    title: 'uami-app holds Contributor at subscription scope',
    description: 'The managed identity uami-app holds Contributor, a privileged administrator role, at subscription scope.',
    tenantId: TENANT_ID,
    subscriptionId: SUB_PROD,
    scope,
    principalId,
    principalType: 'ManagedIdentity',
    principalDisplayName: 'uami-app',
    identityResourceId: UAMI_ID,
    roleAssignmentId: `${scope}/providers/Microsoft.Authorization/roleAssignments/ac000000-0000-4000-8000-000000000001`,
    roleDefinitionId: '/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c',
    roleName: 'Contributor',
    evidence: { scopeLevel: 'subscription', assignmentCondition: null },
    detectedAt: '2026-11-20T12:00:00.000Z',
    source: 'sweep',
    decision: { action: 'ticket', dryRun: false },
    ...overrides,
  };
}

/** Stands in for the HTTP client's sleep: records every wait, waits for none. */
export function recordingSleep(): { waits: number[]; sleep: (milliseconds: number) => Promise<void> } {
  const waits: number[] = [];
  return { waits, sleep: async (milliseconds) => void waits.push(milliseconds) };
}
