import type { RunningEmulator } from '../../emulator/index.ts';
import type { AzureClients } from '../../src/azure/clients.ts';
import { RemediationBudget } from '../../src/actions/remediate/budget.ts';
import type { RemediationContext } from '../../src/actions/remediate/context.ts';
import type { AuditLog } from '../../src/state/audit-log.ts';
import { BOT_PRINCIPAL } from './ids.ts';

/** A remediation context for tests: the bot acting with a budget of 20 in a fresh run, anything overridable. */
export function remediationContexts(clients: AzureClients, audit: AuditLog): (overrides?: Partial<RemediationContext>) => RemediationContext {
  return (overrides = {}) => ({
    clients,
    audit,
    policyHash: 'test-policy',
    botPrincipalId: BOT_PRINCIPAL,
    protectedPrincipals: new Set(),
    budget: new RemediationBudget(20),
    runId: `run-${Math.random()}`,
    now: () => new Date(),
    ...overrides,
  });
}

/** The emulator routes the given request ids went to, in order: what an audit record's request ids point at. */
export function loggedRoutes(emulator: RunningEmulator, requestIds: readonly string[]): (string | undefined)[] {
  const byId = new Map(emulator.core.requests.recent().map((request) => [request.requestId, request.route]));
  return requestIds.map((id) => byId.get(id));
}
