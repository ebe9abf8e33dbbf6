import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { StateStoreError } from './errors.ts';
import { jsonProperties, jsonString, readJsonText } from './json-property.ts';
import { parseStored, type EntityProperties, type Mutation, type StateTable, type StoredEntity } from './table.ts';

/**
 * Every decision and action the bot takes, append-only: the record of what it did, as whom, to what, and the
 * object's state before, so any action can be explained and undone. There is no update and no delete here.
 *
 * Table layout: PartitionKey = the UTC day of `at` (`YYYYMMDD`), RowKey = the record id, which starts with
 * `at` to the millisecond: the service's (PartitionKey, RowKey) order is time order. A reconciliation is the exception
 * that keeps this useful: it is filed under the 'acting' record it closes, so a listing `since` an instant holds every
 * acting record from then on together with whatever closed it.
 */
export interface AuditLog {
  append(record: AuditRecordInput): Promise<AuditRecord>;
  /**
   * The one record that gives an 'acting' record (`reconciles`) the outcome its interrupted attempt never wrote. Its id
   * is the acting record's with RECONCILIATION_SUFFIX, so of any number of concurrent reconcilers exactly one inserts
   * it (`created`); the others get the record that one wrote. It sorts right after the acting record it closes.
   */
  appendReconciliation(record: AuditRecordInput & { reconciles: string }): Promise<{ record: AuditRecord; created: boolean }>;
  /**
   * Records in time order (and, within one millisecond, in the order this process appended them); a reconciliation
   * right after the record it closes. `since` is a key-range query: only the partitions (days) from then are read.
   */
  list(filter?: AuditFilter): Promise<AuditRecord[]>;
  get(id: string): Promise<AuditRecord | undefined>;
}

export const AUDIT_KINDS = ['decision', 'action', 'action-failed', 'skipped', 'restore'] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

export interface AuditRecordInput {
  at: Date;
  kind: AuditKind;
  findingId?: string;
  ruleId?: string;
  /** What was done or decided, e.g. `delete-role-assignment`. */
  action?: string;
  dryRun: boolean;
  /** The result in a word or a phrase, e.g. `deleted`, `already-gone`, `would-delete`. */
  outcome: string;
  reason: string;
  /** Hash of the policy in force (LoadedPolicy.hash). */
  policyHash: string;
  /** The bot's principal id. */
  actor: string;
  /** The ARM id or directory object id acted on. */
  target: string;
  /** The full object before the action (what a restore puts back); absent when there was none. */
  priorState?: unknown;
  /** x-ms-request-id / request-id of every Azure call the action made. */
  requestIds: string[];
  correlationId?: string;
  runId: string;
  /** The id of the 'acting' record an earlier, interrupted attempt left without an outcome, which this record gives. */
  reconciles?: string;
}

export interface AuditRecord extends AuditRecordInput {
  /** Time-ordered and unique: `YYYYMMDDTHHmmss.sssZ-<sequence>-<writer>`; a reconciliation's is its acting record's + RECONCILIATION_SUFFIX. */
  id: string;
}

const RECONCILIATION_SUFFIX = '-reconciliation';

export interface AuditFilter {
  /** Records at or after this instant (a reconciliation counts at the instant of the acting record it closes). */
  since?: Date;
  findingId?: string;
  runId?: string;
}

const ID_PATTERN = new RegExp(String.raw`^(\d{8})T\d{6}\.\d{3}Z-\d{10}-[0-9a-f]{8}(?:${RECONCILIATION_SUFFIX})?$`);

export function createAuditLog(table: StateTable): AuditLog {
  // This writer's tag keeps ids unique across processes; the sequence keeps its own records in append order.
  const writer = randomBytes(4).toString('hex');
  let sequence = 0;
  const nextId = (at: Date) => `${compactTime(at)}-${String(sequence++).padStart(10, '0')}-${writer}`;

  return {
    async append(input) {
      const record: AuditRecord = { ...input, id: nextId(input.at) };
      const inserted = await table.insert('append', dayOf(record.id), record.id, toProperties(record, table.name));
      if (!inserted) {
        throw new StateStoreError({ table: table.name, operation: 'append', statusCode: 409, code: 'EntityAlreadyExists', requestId: undefined }, `audit record ${record.id} exists already`);
      }
      return record;
    },

    async appendReconciliation(input) {
      if (!ID_PATTERN.test(input.reconciles) || input.reconciles.endsWith(RECONCILIATION_SUFFIX)) throw new TypeError(`'${input.reconciles}' is not the id of an acting record`);
      const record: AuditRecord = { ...input, id: `${input.reconciles}${RECONCILIATION_SUFFIX}` };
      // Insert if absent, else the record another attempt wrote first: table.mutate's insert-first path.
      return table.mutate(
        'appendReconciliation',
        dayOf(record.id),
        record.id,
        (entity): Mutation<{ record: AuditRecord; created: boolean }> =>
          entity ? { result: { record: parseEntity(entity, table.name, 'appendReconciliation'), created: false } } : { result: { record, created: true }, write: toProperties(record, table.name) },
        { expected: 'absent' },
      );
    },

    async list(filter = {}) {
      const clauses = [
        ...(filter.since ? [`PartitionKey ge ${odataString(dayOf(compactTime(filter.since)))} and RowKey ge ${odataString(compactTime(filter.since))}`] : []),
        ...(filter.findingId !== undefined ? [`findingId eq ${odataString(filter.findingId)}`] : []),
        ...(filter.runId !== undefined ? [`runId eq ${odataString(filter.runId)}`] : []),
      ];
      const entities = await table.query('list', clauses.length > 0 ? clauses.join(' and ') : undefined);
      return entities.map((entity) => parseEntity(entity, table.name, 'list'));
    },

    async get(id) {
      if (!ID_PATTERN.test(id)) return undefined;
      const entity = await table.find('get', dayOf(id), id);
      return entity && parseEntity(entity, table.name, 'get');
    },
  };
}

/** `2026-05-12T10:11:12.123Z` → `20260512T101112.123Z`: sorts as it reads. */
const compactTime = (at: Date) => at.toISOString().replace(/[-:]/g, '');
const dayOf = (idOrTime: string) => idOrTime.slice(0, 8);

function toProperties(record: AuditRecord, table: string): EntityProperties {
  const priorState = record.priorState === undefined ? {} : jsonProperties('priorState', record.priorState);
  if (!priorState) {
    // Never truncated: a partial prior state would make a restore put back something that never existed.
    throw new StateStoreError(
      { table, operation: 'append', statusCode: undefined, code: 'EntityTooLarge', requestId: undefined },
      `the prior state of ${record.target} is too large for an audit record`,
    );
  }
  const optional = (name: string, value: string | undefined) => (value === undefined ? {} : { [name]: value });
  return {
    at: record.at,
    kind: record.kind,
    ...optional('findingId', record.findingId),
    ...optional('ruleId', record.ruleId),
    ...optional('action', record.action),
    dryRun: record.dryRun,
    outcome: record.outcome,
    reason: record.reason,
    policyHash: record.policyHash,
    actor: record.actor,
    target: record.target,
    requestIds: JSON.stringify(record.requestIds),
    ...optional('correlationId', record.correlationId),
    runId: record.runId,
    ...optional('reconciles', record.reconciles),
    ...priorState,
  };
}

const entitySchema = z.object({
  rowKey: z.string(),
  at: z.date(),
  kind: z.enum(AUDIT_KINDS),
  findingId: z.string().optional(),
  ruleId: z.string().optional(),
  action: z.string().optional(),
  dryRun: z.boolean(),
  outcome: z.string(),
  reason: z.string(),
  policyHash: z.string(),
  actor: z.string(),
  target: z.string(),
  requestIds: jsonString(z.array(z.string())),
  correlationId: z.string().optional(),
  runId: z.string(),
  reconciles: z.string().optional(),
  priorState: jsonString(z.unknown()).optional(),
});

function parseEntity(entity: StoredEntity, table: string, operation: string): AuditRecord {
  const { rowKey, priorState, ...fields } = parseStored(entitySchema, entity, { table, operation }, (stored) => ({
    ...stored,
    priorState: readJsonText(stored, 'priorState'),
  }));
  return { id: rowKey, ...fields, ...(priorState === undefined ? {} : { priorState }) };
}

/** An OData string literal, as the SDK's `odata` tag writes one (quotes doubled), without loading the SDK for it. */
function odataString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
