import type { TokenCredential } from '@azure/identity';
import { z } from 'zod';
import { createAuditLog, type AuditLog } from './audit-log.ts';
import { createTableClient, type StorageClientOptions, type StorageConnection } from './connection.ts';
import { StateStoreError, toStateStoreError } from './errors.ts';
import { createEventLedger, type EventLedger } from './event-ledger.ts';
import { createFindingStore, type FindingStore } from './finding-store.ts';
import { createRunState, type RunState } from './run-state.ts';
import { StateTable } from './table.ts';

/** The bot's state in Azure Table Storage: findings, the audit log, the event ledger and the last sweeps. */
export interface StateStore {
  findings: FindingStore;
  audit: AuditLog;
  events: EventLedger;
  runs: RunState;
  /** The table names in use. */
  tables: readonly string[];
  /** Whether storage answers (one single-entity query), for the health endpoint. Never throws. */
  ping(): Promise<PingResult>;
}

export type PingResult = { reachable: true; latencyMs: number } | { reachable: false; error: StateStoreError };

export interface StateStoreConfig {
  connection: StorageConnection;
  /** The bot's credential; required for identity-based connections. */
  credential?: TokenCredential;
  /** Prefix of every table name: letters and digits, starting with a letter. Lets several bots (or tests) share an account. */
  tablePrefix?: string;
  retryOptions?: StorageClientOptions['retryOptions'];
  /** How long an unfinished event claim blocks redeliveries (see EventLedger.claim). */
  eventLeaseMs?: number;
}

/** Table names: 3–63 letters and digits starting with a letter; the longest suffix below is 8 characters. */
const tablePrefix = z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,54}$/, 'must be letters and digits, start with a letter, at most 55 characters');

/** Connects and creates the tables that are missing (safe to run any number of times, concurrently too). */
export async function openStateStore(config: StateStoreConfig): Promise<StateStore> {
  const prefix = tablePrefix.parse(config.tablePrefix ?? 'idwarden');
  const clientOptions: StorageClientOptions = {
    ...(config.credential ? { credential: config.credential } : {}),
    ...(config.retryOptions ? { retryOptions: config.retryOptions } : {}),
  };
  const table = async (suffix: string) => {
    const name = `${prefix}${suffix}`;
    return new StateTable(name, await createTableClient(config.connection, name, clientOptions));
  };
  const [findings, audit, events, objects, runs] = await Promise.all(['Findings', 'Audit', 'Events', 'Objects', 'Runs'].map(table)) as [StateTable, StateTable, StateTable, StateTable, StateTable];
  const tables = { findings, audit, events, objects, runs };
  await Promise.all(Object.values(tables).map((each) => each.ensureExists()));

  return {
    findings: createFindingStore(tables.findings),
    audit: createAuditLog(tables.audit),
    events: createEventLedger(tables.events, tables.objects, config.eventLeaseMs === undefined ? {} : { leaseMs: config.eventLeaseMs }),
    runs: createRunState(tables.runs),
    tables: Object.values(tables).map((each) => each.name),
    async ping() {
      const started = performance.now();
      try {
        await tables.findings.call('ping', (client) => client.listEntities({ queryOptions: { select: ['PartitionKey'] } }).byPage({ maxPageSize: 1 }).next());
        return { reachable: true, latencyMs: Math.round(performance.now() - started) };
      } catch (error) {
        return { reachable: false, error: toStateStoreError(error, { table: tables.findings.name, operation: 'ping' }) };
      }
    },
  };
}
