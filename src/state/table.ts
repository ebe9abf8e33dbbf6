import type { TableClient, TableEntityResult } from '@azure/data-tables';
import type { z } from 'zod';
import { StateStoreError, toStateStoreError } from './errors.ts';

export type StoredEntity = TableEntityResult<Record<string, unknown>>;
/** An entity's properties without its keys; a Date becomes Edm.DateTime, a boolean Edm.Boolean. */
export type EntityProperties = Record<string, string | number | boolean | Date>;

/** What a read-modify-write decided: the answer to return, and the entity to write (none: leave it as it is). */
export interface Mutation<R> {
  result: R;
  write?: EntityProperties;
}

/**
 * What the caller believes the entity is, to skip the first read: `absent` (a new key), or the entity as it read or
 * wrote it earlier, ETag included. A wrong belief costs one refused write (409 or 412) and then a fresh read.
 */
export type Expected = 'absent' | StoredEntity;

/** Writers racing on one entity retry with a fresh read; past this many attempts something is wrong. */
const MAX_ATTEMPTS = 10;

/**
 * One table of the state store. Every call's failure becomes a StateStoreError naming the table and the
 * operation. A table that vanished (storage reset, Azurite restarted in memory) is created again and the
 * call retried once, so the store heals instead of failing until a redeploy.
 */
export class StateTable {
  constructor(
    readonly name: string,
    private readonly client: TableClient,
  ) {}

  /** Creates the table when missing; the SDK treats "already exists" as success. */
  async ensureExists(): Promise<void> {
    await this.attempt('createTable', () => this.client.createTable());
  }

  async call<T>(operation: string, run: (client: TableClient) => Promise<T>): Promise<T> {
    try {
      return await this.attempt(operation, () => run(this.client));
    } catch (error) {
      if (!(error instanceof StateStoreError) || error.code !== 'TableNotFound') throw error;
      await this.ensureExists();
      return this.attempt(operation, () => run(this.client));
    }
  }

  async find(operation: string, partitionKey: string, rowKey: string): Promise<StoredEntity | undefined> {
    try {
      return await this.call(operation, (client) => client.getEntity(partitionKey, rowKey));
    } catch (error) {
      if (error instanceof StateStoreError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  /** Inserts a new entity; false when one with these keys exists already (the insert is atomic). */
  async insert(operation: string, partitionKey: string, rowKey: string, properties: EntityProperties): Promise<boolean> {
    return (await this.inserted(operation, partitionKey, rowKey, properties)) !== 'exists';
  }

  /** Inserts a new entity and returns it as stored (undefined when no ETag came back); `exists` when one with these keys does. */
  private async inserted(operation: string, partitionKey: string, rowKey: string, properties: EntityProperties): Promise<StoredEntity | undefined | 'exists'> {
    try {
      const { etag } = await this.call(operation, (client) => client.createEntity({ partitionKey, rowKey, ...properties }));
      return stored(partitionKey, rowKey, properties, etag);
    } catch (error) {
      if (error instanceof StateStoreError && error.statusCode === 409) return 'exists';
      throw error;
    }
  }

  /** Every entity matching an OData filter, in the service's order (PartitionKey, then RowKey). */
  async query(operation: string, filter: string | undefined): Promise<StoredEntity[]> {
    return this.call(operation, async (client) => {
      const entities: StoredEntity[] = [];
      for await (const entity of client.listEntities(filter ? { queryOptions: { filter } } : {})) entities.push(entity);
      return entities;
    });
  }

  /**
   * Read-modify-write with optimistic concurrency: `decide` sees the current entity (undefined when absent) and
   * says what to write; the write is conditional on the ETag read (or is an insert), and a lost race starts over
   * with a fresh read, so concurrent writers never overwrite each other's changes.
   */
  async mutate<R>(operation: string, partitionKey: string, rowKey: string, decide: (current: StoredEntity | undefined) => Mutation<R>, options: { expected?: Expected } = {}): Promise<R> {
    return (await this.mutateEntity(operation, partitionKey, rowKey, decide, options)).result;
  }

  /**
   * `mutate`, also returning the entity as it now stands (as written, with its new ETag; as read when nothing was
   * written), so that a later mutation of it can start from `expected` instead of a read. With `expected`, the first
   * attempt decides on that belief and writes conditionally on it; a decision to write nothing is only trusted
   * after a real read.
   */
  async mutateEntity<R>(
    operation: string,
    partitionKey: string,
    rowKey: string,
    decide: (current: StoredEntity | undefined) => Mutation<R>,
    options: { expected?: Expected } = {},
  ): Promise<{ result: R; entity?: StoredEntity }> {
    let belief = options.expected;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const believed = belief !== undefined;
      const current = belief === undefined ? await this.find(operation, partitionKey, rowKey) : belief === 'absent' ? undefined : belief;
      belief = undefined;
      const { result, write } = decide(current);
      if (!write) {
        if (believed) continue;
        return current ? { result, entity: current } : { result };
      }
      if (!current) {
        const entity = await this.inserted(operation, partitionKey, rowKey, write);
        if (entity === 'exists') continue;
        return entity ? { result, entity } : { result };
      }
      try {
        const { etag } = await this.call(operation, (client) => client.updateEntity({ partitionKey, rowKey, ...write }, 'Replace', { etag: current.etag }));
        const entity = stored(partitionKey, rowKey, write, etag);
        return entity ? { result, entity } : { result };
      } catch (error) {
        // 412: someone wrote since our read; 404: it vanished since. Either way, read again.
        if (error instanceof StateStoreError && (error.statusCode === 412 || error.statusCode === 404)) continue;
        throw error;
      }
    }
    throw new StateStoreError(
      { table: this.name, operation, statusCode: undefined, code: 'ConcurrencyConflict', requestId: undefined },
      `the entity kept changing under concurrent writers (${MAX_ATTEMPTS} attempts)`,
    );
  }

  private async attempt<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toStateStoreError(error, { table: this.name, operation });
    }
  }
}

/** An entity as this process wrote it: what a later conditional write can start from, when the service gave its ETag. */
function stored(partitionKey: string, rowKey: string, properties: EntityProperties, etag: string | undefined): StoredEntity | undefined {
  return etag ? { partitionKey, rowKey, ...properties, etag } : undefined;
}

/**
 * Reads an entity back through a schema: storage is outside the process, so what comes back is checked, and an
 * entity in the wrong shape is a StateStoreError (`InvalidEntity`) naming it, not a crash further on.
 * `prepare` assembles the value to check (joining split JSON, for instance); its failures count as invalid too.
 */
export function parseStored<T extends z.ZodType>(
  schema: T,
  entity: StoredEntity,
  context: { table: string; operation: string },
  prepare: (entity: StoredEntity) => unknown = (value) => value,
): z.output<T> {
  const invalid = (detail: string) =>
    new StateStoreError(
      { ...context, statusCode: undefined, code: 'InvalidEntity', requestId: undefined },
      `entity (${JSON.stringify(entity.partitionKey)}, ${JSON.stringify(entity.rowKey)}) is not in the expected shape: ${detail}`,
    );
  let value: unknown;
  try {
    value = prepare(entity);
  } catch (error) {
    throw invalid(error instanceof Error ? error.message : String(error));
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalid(parsed.error.issues.map((issue) => `${issue.path.join('.') || '(entity)'}: ${issue.message}`).join('; '));
  return parsed.data;
}
