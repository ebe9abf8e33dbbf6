import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FULL_READ_EVERY_MS, TicketCache, TicketIndex, type SeenTicket } from '../../src/actions/tickets/ticket-index.ts';
import type { TicketRef } from '../../src/actions/tickets/tracker.ts';

const FINGERPRINT = `privileged-role-broad-scope:${'a'.repeat(20)}`;
const ref = (id: string, state: 'open' | 'closed', fingerprint = FINGERPRINT): TicketRef => ({ service: 'github', id, url: `https://x/${id}`, state, fingerprint, digest: 'd'.repeat(16) });

/** A tracker's tickets as a read would see them, and every `since` it was asked for. */
function tracker(tickets: TicketRef[], began = () => new Date('2026-11-23T12:00:00Z')) {
  const sinces: (Date | undefined)[] = [];
  let pause: Promise<void> | undefined;
  const read = async (since: Date | undefined, seen: SeenTicket) => {
    sinces.push(since);
    const at = began();
    await pause;
    for (const ticket of tickets) seen(ticket.id, ticket);
    return at;
  };
  return { sinces, read, holdNextRead: (gate: Promise<void>) => (pause = gate) };
}

test('an open ticket wins over closed duplicates, then the oldest', async () => {
  const { read } = tracker([ref('9', 'closed'), ref('12', 'open'), ref('4', 'open'), ref('2', 'closed')]);
  assert.equal((await new TicketIndex(read).find(FINGERPRINT))?.id, '4');
});

test('one read per run: full at first, then from the previous read less five minutes, full again after an hour', async () => {
  let clock = 0;
  const cache = new TicketCache();
  const { sinces, read } = tracker([ref('1', 'open')]);
  const run = () => new TicketIndex(read, cache, () => clock);
  const first = run();
  await first.find(FINGERPRINT);
  await first.find(FINGERPRINT);
  await run().current(FINGERPRINT, '1', 'all', async () => assert.fail('the index holds it'));
  clock += FULL_READ_EVERY_MS;
  await run().find(FINGERPRINT);
  assert.deepEqual(sinces, [undefined, new Date('2026-11-23T11:55:00Z'), undefined]);
});

test('a write made while a read is in flight is not undone by what the read saw', async () => {
  const cache = new TicketCache();
  const stale = tracker([ref('1', 'open')]);
  let release!: () => void;
  stale.holdNextRead(new Promise<void>((resolve) => (release = resolve)));
  const index = new TicketIndex(stale.read, cache);
  const reading = index.find(FINGERPRINT);
  new TicketIndex(stale.read, cache).remember(ref('1', 'closed'));
  release();
  assert.equal((await reading)?.state, 'closed');
});

test('a full read forgets tickets it no longer sees; an incremental one forgets those that lost their fingerprint', async () => {
  let clock = 0;
  const cache = new TicketCache();
  const tickets = [ref('1', 'open'), ref('2', 'open', `stale-identity:${'b'.repeat(20)}`)];
  const { read } = tracker(tickets);
  await new TicketIndex(read, cache, () => clock).find(FINGERPRINT);
  tickets.splice(0, 1);
  clock += FULL_READ_EVERY_MS;
  assert.equal(await new TicketIndex(read, cache, () => clock).find(FINGERPRINT), undefined);

  const lostMarker = async (since: Date | undefined, seen: SeenTicket) => {
    seen('2', undefined);
    return since;
  };
  await new TicketIndex(lostMarker, cache, () => clock).find(FINGERPRINT);
  assert.equal(cache.get('2'), undefined);
});

test('a cold lookup for one known ticket re-reads it alone; a failed read is read again next time', async () => {
  let reads = 0;
  const failing = async () => {
    reads += 1;
    throw new Error('tracker down');
  };
  const index = new TicketIndex(failing);
  assert.equal((await index.current(FINGERPRINT, '7', 'one', async (id) => ref(id, 'open')))?.id, '7');
  assert.equal(reads, 0);
  await assert.rejects(index.find(FINGERPRINT), /tracker down/);
  await assert.rejects(index.find(FINGERPRINT), /tracker down/);
  assert.equal(reads, 2);
});
