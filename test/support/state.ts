import { TableClient } from '@azure/data-tables';
import { fingerprint, type Finding } from '../../src/model/finding.ts';
import { openStateStore, type StateStore, type StateStoreConfig } from '../../src/state/state-store.ts';
import type { RunningAzurite } from './azurite.ts';
import { SUB_PROD, TENANT_ID, UAMI_PRINCIPAL } from './ids.ts';

let stores = 0;

/**
 * A state store on its own tables (a fresh prefix per call), so tests in one file share one Azurite without
 * seeing each other's rows. One quick retry: a stopped Azurite fails in milliseconds, not after backoff.
 */
export async function openTestStore(azurite: RunningAzurite, overrides: Partial<StateStoreConfig> = {}): Promise<StateStore> {
  stores += 1;
  return openStateStore({
    connection: { kind: 'connection-string', connectionString: azurite.connectionString },
    tablePrefix: `t${stores}x${process.pid}`,
    retryOptions: { maxRetries: 1, retryDelayInMs: 10, maxRetryDelayInMs: 10 },
    ...overrides,
  });
}

/** The raw SDK view of one of the store's tables, to check what is actually stored. */
export function rawTable(azurite: RunningAzurite, store: StateStore, suffix: 'Findings' | 'Audit' | 'Events' | 'Objects' | 'Runs'): TableClient {
  const name = store.tables.find((table) => table.endsWith(suffix));
  if (!name) throw new Error(`the store has no ${suffix} table`);
  return TableClient.fromConnectionString(azurite.connectionString, name, { allowInsecureConnection: true });
}

export const roleAssignmentId = (name: string, subscriptionId = SUB_PROD) =>
  `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleAssignments/${name}`;

/** A privileged-role finding (about a role assignment, when given), as judgeSnapshot would produce it. */
export function aFinding(overrides: Partial<Finding>): Finding {
  const ruleId = overrides.ruleId ?? 'privileged-role-broad-scope';
  const subscriptionId = overrides.subscriptionId ?? SUB_PROD;
  return {
    id: fingerprint(ruleId, overrides.roleAssignmentId ?? overrides.principalId ?? UAMI_PRINCIPAL),
    ruleId,
    severity: 'high',
    title: 'Owner at subscription scope',
    description: 'A managed identity holds Owner on the whole subscription.',
    tenantId: TENANT_ID,
    subscriptionId,
    scope: `/subscriptions/${subscriptionId}`,
    principalId: UAMI_PRINCIPAL,
    principalType: 'ServicePrincipal',
    roleName: 'Owner',
    evidence: { roleName: 'Owner' },
    detectedAt: '2026-05-01T00:00:00.000Z',
    source: 'sweep',
    decision: { action: 'alert', dryRun: true },
    ...overrides,
  };
}

/** Instants for runs: minutes after a fixed start, so tests read as a timeline. */
export const minute = (n: number) => new Date(Date.UTC(2026, 4, 1, 9, n));
