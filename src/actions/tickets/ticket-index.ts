import { assertFingerprint, type TicketRef } from './tracker.ts';

/** Hands the index one ticket a read saw: its id and what it carries (undefined: no fingerprint any more). */
export type SeenTicket = (id: string, ref: TicketRef | undefined) => void;

/**
 * Reads the bot's tickets of one tracker: all of them (`since` undefined), or those changed at or after `since`.
 * Resolves to the tracker's own time when the read began (GitHub's `Date` header, a WIQL result's `asOf`), from which
 * the next incremental read starts; undefined when the tracker did not say (the next read is then a full one).
 */
export type TicketReader = (since: Date | undefined, seen: SeenTicket) => Promise<Date | undefined>;

/** A full read this often catches what incremental reads cannot see: deleted tickets, tickets that lost the bot's label. */
export const FULL_READ_EVERY_MS = 60 * 60_000;
/** Incremental reads start this long before the previous read began, so a change committed late, or by a clock a little behind, is not missed. */
const OVERLAP_MS = 5 * 60_000;

/**
 * The bot's tickets in one place (a repository, a project), kept between runs of the same process so that a run
 * costs one incremental read ("what changed since"), not a listing of every ticket. Entries are by ticket id.
 */
export class TicketCache {
  private readonly byId = new Map<string, TicketRef>();
  /** Ticket ids by fingerprint: a sweep looks every finding up, so lookups must not scan every ticket. */
  private readonly idsByFingerprint = new Map<string, Set<string>>();
  /** When the last read began, on the tracker's clock (ms). */
  readFrom: number | undefined;
  /** Local time of the last full read; undefined until one succeeded. */
  fullReadAt: number | undefined;
  /** Bumped by every write the bot remembers, so a read that started before a write does not undo it. */
  private writes = 0;
  private readonly writtenAt = new Map<string, number>();

  get writeCount(): number {
    return this.writes;
  }

  get(id: string): TicketRef | undefined {
    return this.byId.get(id);
  }

  /** The fingerprint's ticket: an open one wins over closed duplicates, then the oldest. */
  find(fingerprint: string): TicketRef | undefined {
    let best: TicketRef | undefined;
    for (const id of this.idsByFingerprint.get(fingerprint) ?? []) {
      const ref = this.byId.get(id)!;
      if (!best || rank(ref) < rank(best)) best = ref;
    }
    return best;
  }

  remember(ref: TicketRef): void {
    this.set(ref.id, ref);
    this.writtenAt.set(ref.id, ++this.writes);
  }

  /** Applies what a read saw (started when `writeCount` was `startedAt`); `complete`: ids it did not see are gone. */
  apply(seen: Map<string, TicketRef | undefined>, complete: boolean, startedAt: number): void {
    const writtenSince = (id: string) => (this.writtenAt.get(id) ?? 0) > startedAt;
    if (complete) {
      for (const id of [...this.byId.keys()]) if (!seen.has(id) && !writtenSince(id)) this.set(id, undefined);
    }
    for (const [id, ref] of seen) if (!writtenSince(id)) this.set(id, ref);
    if (!complete) return;
    for (const [id, at] of this.writtenAt) if (at <= startedAt) this.writtenAt.delete(id);
  }

  private set(id: string, ref: TicketRef | undefined): void {
    const previous = this.byId.get(id);
    if (previous) this.idsByFingerprint.get(previous.fingerprint)?.delete(id);
    if (!ref) {
      this.byId.delete(id);
      return;
    }
    this.byId.set(id, ref);
    const ids = this.idsByFingerprint.get(ref.fingerprint) ?? new Set<string>();
    this.idsByFingerprint.set(ref.fingerprint, ids.add(id));
  }
}


const caches = new Map<string, TicketCache>();

/** The process-wide cache of one tracker location (e.g. `github https://api.github.com contoso/repo`). */
export function sharedTicketCache(location: string): TicketCache {
  const key = location.toLowerCase();
  let cache = caches.get(key);
  if (!cache) caches.set(key, (cache = new TicketCache()));
  return cache;
}

/**
 * One run's view of a tracker's tickets by fingerprint. The first lookup of the run refreshes the cache once: a full
 * read when it was never read (or FULL_READ_EVERY_MS ago), else an incremental read of what changed since the previous
 * read began (less OVERLAP_MS); later lookups and the bot's own writes use memory. A failed read changes nothing, and
 * the next lookup reads again.
 */
export class TicketIndex {
  private refreshed: Promise<void> | undefined;

  constructor(
    private readonly read: TicketReader,
    private readonly cache: TicketCache = new TicketCache(),
    private readonly now: () => number = Date.now,
  ) {}

  /** True when a read filled the cache already, in this run or an earlier one sharing it. */
  get warm(): boolean {
    return this.cache.fullReadAt !== undefined;
  }

  async find(fingerprint: string): Promise<TicketRef | undefined> {
    assertFingerprint(fingerprint);
    await this.refresh();
    return this.cache.find(fingerprint);
  }

  /**
   * The finding's ticket as it is now: the known one while it carries the fingerprint, else the one found by
   * fingerprint. A known ticket the index does not hold (its label was removed, it was deleted) is re-read alone
   * with `reread`. `reach: 'one'` (a lookup for one finding, e.g. an event's) re-reads a known ticket alone while
   * the index is cold, rather than reading every ticket for it.
   */
  async current(fingerprint: string, knownId: string | undefined, reach: 'one' | 'all', reread: (id: string) => Promise<TicketRef | undefined>): Promise<TicketRef | undefined> {
    assertFingerprint(fingerprint);
    if (knownId !== undefined && reach === 'one' && !this.warm) return (await reread(knownId)) ?? this.find(fingerprint);
    await this.refresh();
    if (knownId !== undefined) {
      const indexed = this.cache.get(knownId);
      if (indexed?.fingerprint === fingerprint) return indexed;
      if (!indexed) {
        const found = await reread(knownId);
        if (found) return found;
      }
    }
    return this.find(fingerprint);
  }

  /** Records a ticket the bot just wrote. */
  remember(ref: TicketRef): TicketRef {
    this.cache.remember(ref);
    return ref;
  }

  private refresh(): Promise<void> {
    this.refreshed ??= this.readOnce().catch((error: unknown) => {
      this.refreshed = undefined;
      throw error;
    });
    return this.refreshed;
  }

  private async readOnce(): Promise<void> {
    const { cache } = this;
    const startedAt = cache.writeCount;
    const due = cache.fullReadAt === undefined || cache.readFrom === undefined || this.now() - cache.fullReadAt >= FULL_READ_EVERY_MS;
    const since = due ? undefined : new Date(cache.readFrom! - OVERLAP_MS);
    const seen = new Map<string, TicketRef | undefined>();
    const began = await this.read(since, (id, ref) => seen.set(id, ref));
    cache.apply(seen, since === undefined, startedAt);
    cache.readFrom = began && Number.isFinite(began.getTime()) ? began.getTime() : undefined;
    if (since === undefined) cache.fullReadAt = this.now();
  }
}

const rank = (ref: TicketRef) => (ref.state === 'open' ? 0 : 1e15) + Number(ref.id);
