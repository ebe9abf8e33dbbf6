import { z } from 'zod';
import { invocationCertainlyOverMs } from '../hosting/function-time-limit.ts';
import { tableKey } from './keys.ts';
import { parseStored, type Mutation, type StateTable, type StoredEntity } from './table.ts';

/**
 * What makes event handling idempotent and order-proof. Event Grid delivers at least once, in no guaranteed
 * order: `claim` lets exactly one invocation process an event id; `observe` tells a handler when the event
 * it holds is older than one already applied to the same object (a write arriving after its delete).
 *
 * Table layout: claims: PartitionKey = the event id (`tableKey`), RowKey = ''. Objects: PartitionKey = the
 * lowercased object id (`tableKey`: ARM ids are hashed), RowKey = ''.
 */
export interface EventLedger {
  /**
   * Atomic: of any number of concurrent claims of one event id, exactly one gets `claimed: true`. A claim that
   * was released, or whose holder never completed within the lease (a crashed invocation), can be claimed again.
   */
  claim(eventId: string, at: Date): Promise<Claim>;
  /** The event was handled (whatever the outcome): later deliveries of it are duplicates. */
  complete(eventId: string, outcome: string, at: Date): Promise<void>;
  /** Processing failed in a way a redelivery may fix: the next delivery can claim it at once. */
  release(eventId: string, reason: string, at: Date): Promise<void>;
  /**
   * Records that an event about `objectId` at `eventTime` is being applied, unless a later one has been already.
   * `eventTime` keeps Event Grid's full precision (7 fractional digits) when given as its string.
   */
  observe(objectId: string, eventTime: Date | string, kind: ObjectEventKind, eventId?: string): Promise<Observation>;
}

export type Claim =
  | { claimed: true; attempt: number }
  /** `completed`: a duplicate, acknowledge it. `in-progress`: another invocation holds it; ask for redelivery. */
  | { claimed: false; because: 'completed' | 'in-progress'; since: Date };

export type ObjectEventKind = 'write' | 'delete';

export interface AppliedEvent {
  /** UTC, seven fractional digits: `2026-05-12T10:11:12.1234567Z`. */
  eventTime: string;
  kind: ObjectEventKind;
  eventId?: string;
}

export interface Observation {
  /** True when an event later than this one (by time; a delete after a write at the same instant) was already applied. */
  stale: boolean;
  /** The latest event applied to the object, this one included when it was not stale. */
  latest: AppliedEvent;
}

const ROW = '';

export function createEventLedger(claims: StateTable, objects: StateTable, options: { leaseMs?: number } = {}): EventLedger {
  /**
   * A claim older than this whose holder never completed or released it is taken to have crashed. It outlasts the
   * Functions time limit: a shorter lease would let a redelivery take over an event from a slow invocation still alive.
   */
  const leaseMs = options.leaseMs ?? invocationCertainlyOverMs();
  const readClaim = (entity: StoredEntity, operation: string) => parseStored(claimSchema, entity, { table: claims.name, operation });
  /**
   * The claims this process holds, as it wrote them: completing or releasing one is then a single write conditional
   * on that ETag (a claim taken over after its lease fails the condition and is read afresh).
   */
  const held = new Map<string, StoredEntity>();
  const heldClaim = (eventId: string): { expected?: StoredEntity } => {
    const entity = held.get(eventId);
    held.delete(eventId);
    return entity ? { expected: entity } : {};
  };

  return {
    async claim(eventId, at) {
      // Most event ids are new: try the insert first, and read only when the claim exists already.
      const { result, entity } = await claims.mutateEntity(
        'claim',
        tableKey(eventId),
        ROW,
        (entity): Mutation<Claim> => {
          const taken = { eventId, state: 'claimed', claimedAt: at } as const;
          if (!entity) return { result: { claimed: true, attempt: 1 }, write: { ...taken, attempts: 1 } };
          const current = readClaim(entity, 'claim');
          if (current.state === 'completed') return { result: { claimed: false, because: 'completed', since: current.completedAt ?? current.claimedAt } };
          if (current.state === 'claimed' && at.getTime() < current.claimedAt.getTime() + leaseMs) {
            return { result: { claimed: false, because: 'in-progress', since: current.claimedAt } };
          }
          const attempt = current.attempts + 1;
          return { result: { claimed: true, attempt }, write: { ...taken, attempts: attempt } };
        },
        { expected: 'absent' },
      );
      if (result.claimed && entity) held.set(eventId, entity);
      return result;
    },

    complete: (eventId, outcome, at) =>
      claims.mutate(
        'complete',
        tableKey(eventId),
        ROW,
        (entity): Mutation<void> => {
          const current = entity && readClaim(entity, 'complete');
          if (current?.state === 'completed') return { result: undefined };
          return { result: undefined, write: { eventId, state: 'completed', claimedAt: current?.claimedAt ?? at, attempts: current?.attempts ?? 1, completedAt: at, outcome } };
        },
        heldClaim(eventId),
      ),

    release: (eventId, reason, at) =>
      claims.mutate(
        'release',
        tableKey(eventId),
        ROW,
        (entity): Mutation<void> => {
          const current = entity && readClaim(entity, 'release');
          if (current?.state !== 'claimed') return { result: undefined };
          return { result: undefined, write: { eventId, state: 'released', claimedAt: current.claimedAt, attempts: current.attempts, releasedAt: at, reason } };
        },
        heldClaim(eventId),
      ),

    // Most objects are new to the ledger (a role assignment's id is new with each one): insert first, read on a clash.
    observe: (objectId, eventTime, kind, eventId) =>
      objects.mutate('observe', tableKey(objectId.toLowerCase()), ROW, (entity): Mutation<Observation> => {
        const incoming: AppliedEvent = { eventTime: eventInstant(eventTime), kind, ...(eventId ? { eventId } : {}) };
        if (entity) {
          const { eventTime: storedTime, kind: storedKind, eventId: storedId } = parseStored(objectSchema, entity, { table: objects.name, operation: 'observe' });
          const latest: AppliedEvent = { eventTime: storedTime, kind: storedKind, ...(storedId ? { eventId: storedId } : {}) };
          const order = compareEvents(incoming, latest);
          if (order < 0) return { result: { stale: true, latest } };
          if (order === 0) return { result: { stale: false, latest } };
        }
        return { result: { stale: false, latest: incoming }, write: { objectId, ...incoming } };
      }, { expected: 'absent' }),
  };
}

const claimSchema = z.object({
  state: z.enum(['claimed', 'completed', 'released']),
  claimedAt: z.date(),
  attempts: z.number().int(),
  completedAt: z.date().optional(),
});

const objectSchema = z.object({
  eventTime: z.string(),
  kind: z.enum(['write', 'delete']),
  eventId: z.string().optional(),
});

const KIND_ORDER: Record<ObjectEventKind, number> = { write: 0, delete: 1 };

function compareEvents(a: AppliedEvent, b: AppliedEvent): number {
  if (a.eventTime !== b.eventTime) return a.eventTime < b.eventTime ? -1 : 1;
  return KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
}

const EVENT_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,7}))?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * An event time as a fixed-width UTC string that sorts as it reads. ARM events carry 100-ns precision
 * (`2017-08-16T03:54:38.2696833Z`); a Date would cut it to milliseconds and tie events that are not tied.
 */
export function eventInstant(value: Date | string): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new TypeError('event time is an invalid Date');
    return `${value.toISOString().slice(0, 23)}0000Z`;
  }
  const match = EVENT_TIME.exec(value);
  if (!match) throw new TypeError(`event time '${value}' is not an ISO 8601 date-time with a time zone`);
  const [, seconds, fraction = '', zone] = match;
  // Offsets are whole minutes, so converting the seconds part to UTC leaves the fraction as it is.
  const utcSeconds = new Date(`${seconds}${zone}`).toISOString().slice(0, 19);
  return `${utcSeconds}.${fraction.padEnd(7, '0')}Z`;
}
