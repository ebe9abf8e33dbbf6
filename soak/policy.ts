import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The soak's enforcing policy, written for the generated tenant: the enforce example's rules (orphans removed,
 * broad privileged roles moved down to the identity's own resource group, tickets for stale identities, alerts for
 * new ones) with the generated tenant's top management group, the bot's own exemption and one protected identity,
 * and the real sinks: Teams and GitHub issues.
 */
export function soakPolicy(options: { topManagementGroup: string; botPrincipalId: string; protectedPrincipalId: string }): string {
  return `version: 1
enforcement: enforce

scope:
  include: [/providers/Microsoft.Management/managementGroups/${options.topManagementGroup}]
  exclude: []

principals:
  include: [ManagedIdentity]

rules:
  orphaned-role-assignment: { action: remediate, graceHours: 24 }
  privileged-role-broad-scope: { action: remediate, remediation: downscope, severity: high }
  stale-identity: { action: ticket, days: 90 }
  new-identity: { action: alert }
  unattached-user-assigned-identity: { action: ticket }
  unconstrained-role-delegation: { action: alert, severity: high }

exemptions:
  - rule: privileged-role-broad-scope
    principalId: ${options.botPrincipalId}
    reason: "idwarden's enforce-mode permission"
    expires: 2099-12-31
    approvedBy: secops@gen.example

guardrails:
  maxRemediationsPerRun: 10
  protectedPrincipals:
    - ${options.protectedPrincipalId}

notify:
  teams: { webhookUrlSetting: TEAMS_WEBHOOK_URL }

tickets:
  github: { repo: contoso/cloud-governance, tokenSetting: GITHUB_TOKEN }
`;
}

/** Writes the policy where the Functions app reads it (IDWARDEN_POLICY_FILE). */
export function writePolicyFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'idwarden-soak-')), 'policy.yaml');
  writeFileSync(file, text);
  return file;
}
