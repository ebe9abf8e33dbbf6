import { z } from 'zod';
import { StateStoreError } from './errors.ts';
import { jsonProperties, jsonString, readJsonText } from './json-property.ts';
import { tableKey } from './keys.ts';
import { parseStored, type Mutation, type StateTable, type StoredEntity } from './table.ts';

/**
 * The last sweep per scope, for the health endpoint and for noticing a sweep that stopped running.
 *
 * Table layout: PartitionKey = 'sweep', RowKey = the lowercased scope (`tableKey`). One small partition:
 * listing every scope's last sweep is a single query.
 */
export interface RunState {
  /** Keeps the record unless one for a later-started sweep of the scope is stored already; says whether it was kept. */
  recordSweep(record: SweepRecord): Promise<boolean>;
  lastSweep(scope: string): Promise<SweepRecord | undefined>;
  /** The last sweep of every scope. */
  listLastSweeps(): Promise<SweepRecord[]>;
  /** Where the backstop (src/actions/remediate/backstop.ts) takes up the audit log: every 'acting' record before it has its outcome. */
  backstopWatermark(): Promise<Date | undefined>;
  /** Moves the backstop's watermark to `to`, never back: of concurrent backstops, the furthest one stands. */
  advanceBackstopWatermark(to: Date): Promise<void>;
}

export interface SweepRecord {
  /** What was swept: a subscription id, a management group id, `tenant` ... as the sweep names it. */
  scope: string;
  runId: string;
  startedAt: Date;
  finishedAt: Date;
  outcome: 'succeeded' | 'partial' | 'failed';
  /** Counts and notes for people: findings, opened, resolved, gaps, errors. */
  summary: Record<string, unknown>;
}

const PARTITION = 'sweep';
/** The backstop's watermark: its own partition, so listing the sweeps never meets it. */
const BACKSTOP = { partition: 'backstop', row: 'audit' } as const;

export function createRunState(table: StateTable): RunState {
  const parse = (entity: StoredEntity, operation: string): SweepRecord => {
    const { summary, ...fields } = parseStored(entitySchema, entity, { table: table.name, operation }, (stored) => ({ ...stored, summary: readJsonText(stored, 'summary') }));
    return { ...fields, summary };
  };
  return {
    recordSweep: (record) =>
      table.mutate('recordSweep', PARTITION, tableKey(record.scope.toLowerCase()), (entity): Mutation<boolean> => {
        if (entity && parse(entity, 'recordSweep').startedAt > record.startedAt) return { result: false };
        const summary = jsonProperties('summary', record.summary);
        if (!summary) {
          throw new StateStoreError(
            { table: table.name, operation: 'recordSweep', statusCode: undefined, code: 'EntityTooLarge', requestId: undefined },
            `the summary of sweep ${record.runId} is too large for a table entity`,
          );
        }
        const { scope, runId, startedAt, finishedAt, outcome } = record;
        return { result: true, write: { scope, runId, startedAt, finishedAt, outcome, ...summary } };
      }),

    async lastSweep(scope) {
      const entity = await table.find('lastSweep', PARTITION, tableKey(scope.toLowerCase()));
      return entity && parse(entity, 'lastSweep');
    },

    async listLastSweeps() {
      const entities = await table.query('listLastSweeps', `PartitionKey eq '${PARTITION}'`);
      return entities.map((entity) => parse(entity, 'listLastSweeps'));
    },

    async backstopWatermark() {
      const entity = await table.find('backstopWatermark', BACKSTOP.partition, BACKSTOP.row);
      return entity && parseStored(watermarkSchema, entity, { table: table.name, operation: 'backstopWatermark' }).watermark;
    },

    advanceBackstopWatermark: (to) =>
      table.mutate('advanceBackstopWatermark', BACKSTOP.partition, BACKSTOP.row, (entity): Mutation<void> => {
        const current = entity && parseStored(watermarkSchema, entity, { table: table.name, operation: 'advanceBackstopWatermark' }).watermark;
        return current && current >= to ? { result: undefined } : { result: undefined, write: { watermark: to } };
      }),
  };
}

const entitySchema = z.object({
  scope: z.string(),
  runId: z.string(),
  startedAt: z.date(),
  finishedAt: z.date(),
  outcome: z.enum(['succeeded', 'partial', 'failed']),
  summary: jsonString(z.record(z.string(), z.unknown())),
});

const watermarkSchema = z.object({ watermark: z.date() });
