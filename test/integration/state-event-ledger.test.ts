import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventInstant } from '../../src/state/event-ledger.ts';
import { useAzurite } from '../support/azurite.ts';
import { UAMI_ID } from '../support/ids.ts';
import { minute, openTestStore, rawTable, roleAssignmentId } from '../support/state.ts';

const azurite = await useAzurite();

test('of 20 concurrent claims of one event, exactly one wins', async () => {
  const { events } = await openTestStore(azurite);
  const claims = await Promise.all(Array.from({ length: 20 }, () => events.claim('evt-concurrent', minute(0))));

  assert.equal(claims.filter((claim) => claim.claimed).length, 1);
  for (const claim of claims.filter((each) => !each.claimed)) assert.deepEqual(claim, { claimed: false, because: 'in-progress', since: minute(0) });
});

test('a completed event is a duplicate from then on; distinct events do not interfere', async () => {
  const { events } = await openTestStore(azurite);
  assert.deepEqual(await events.claim('evt-a', minute(0)), { claimed: true, attempt: 1 });
  assert.deepEqual(await events.claim('evt-b', minute(0)), { claimed: true, attempt: 1 });
  await events.complete('evt-a', 'remediated', minute(1));

  assert.deepEqual(await events.claim('evt-a', minute(2)), { claimed: false, because: 'completed', since: minute(1) });
  assert.deepEqual(await events.claim('evt-a', minute(600)), { claimed: false, because: 'completed', since: minute(1) }, 'however late the duplicate');
  await events.complete('evt-a', 'again', minute(3));
  assert.deepEqual(await events.claim('evt-a', minute(4)), { claimed: false, because: 'completed', since: minute(1) }, 'the first completion stands');
});

test('a released claim, or one whose holder crashed past the lease, can be claimed again', async () => {
  const { events } = await openTestStore(azurite, { eventLeaseMs: 5 * 60_000 });
  await events.claim('evt-released', minute(0));
  await events.release('evt-released', 'ARM answered 503', minute(1));
  assert.deepEqual(await events.claim('evt-released', minute(1)), { claimed: true, attempt: 2 });

  await events.claim('evt-crashed', minute(0));
  assert.deepEqual(await events.claim('evt-crashed', minute(4)), { claimed: false, because: 'in-progress', since: minute(0) });
  const retaken = await Promise.all([events.claim('evt-crashed', minute(5)), events.claim('evt-crashed', minute(5))]);
  assert.deepEqual(
    retaken.map((claim) => claim.claimed).sort(),
    [false, true],
    'taking over an expired claim is atomic too',
  );
  await events.release('evt-never-claimed', 'nothing to release', minute(6));
  assert.deepEqual(await events.claim('evt-never-claimed', minute(6)), { claimed: true, attempt: 1 });
});

test('a holder whose claim was taken over past the lease completes it without overwriting the takeover', async () => {
  // Two processes on one store: each completes with a write conditional on the claim it wrote itself.
  const shared = { eventLeaseMs: 5 * 60_000, tablePrefix: `takeover${process.pid}` };
  const slow = await openTestStore(azurite, shared);
  const other = await openTestStore(azurite, shared);
  assert.deepEqual(await slow.events.claim('evt-slow', minute(0)), { claimed: true, attempt: 1 });
  assert.deepEqual(await other.events.claim('evt-slow', minute(6)), { claimed: true, attempt: 2 });
  await slow.events.complete('evt-slow', 'judged', minute(7));

  assert.deepEqual(await other.events.claim('evt-slow', minute(8)), { claimed: false, because: 'completed', since: minute(7) });
  const stored = await rawTable(azurite, slow, 'Events').listEntities().next();
  assert.equal(stored.value?.['attempts'], 2, "the stale ETag was refused and the takeover's attempt count kept");
});

test('event ids that are not valid table keys still work', async () => {
  const { events } = await openTestStore(azurite);
  const awkward = 'subject/with/slashes?and#hash\\and\u0001control';
  assert.deepEqual(await events.claim(awkward, minute(0)), { claimed: true, attempt: 1 });
  assert.equal((await events.claim(awkward, minute(0))).claimed, false);
  assert.equal((await events.claim('subject/with/slashes?and#hash\\and\u0002control', minute(0))).claimed, true);
});

test('a write arriving after the delete that followed it is recognised as stale', async () => {
  const { events } = await openTestStore(azurite);
  const assignment = roleAssignmentId('ra-reordered');
  const deleted = await events.observe(assignment, '2026-05-01T09:00:02.0000001Z', 'delete', 'evt-delete');
  assert.deepEqual(deleted, { stale: false, latest: { eventTime: '2026-05-01T09:00:02.0000001Z', kind: 'delete', eventId: 'evt-delete' } });

  const lateWrite = await events.observe(assignment.toUpperCase(), '2026-05-01T09:00:02Z', 'write', 'evt-write');
  assert.equal(lateWrite.stale, true, 'older by 100 ns: the precision a Date would lose');
  assert.equal(lateWrite.latest.eventId, 'evt-delete');

  const duplicate = await events.observe(assignment, '2026-05-01T09:00:02.0000001Z', 'delete', 'evt-delete');
  assert.equal(duplicate.stale, false, 'the same event again is not older than itself');

  const recreated = await events.observe(assignment, new Date('2026-05-01T09:05:00Z'), 'write', 'evt-recreate');
  assert.deepEqual(recreated, { stale: false, latest: { eventTime: '2026-05-01T09:05:00.0000000Z', kind: 'write', eventId: 'evt-recreate' } });
});

test('at the same instant a delete supersedes a write; objects are tracked separately', async () => {
  const { events } = await openTestStore(azurite);
  await events.observe(UAMI_ID, '2026-05-01T09:00:00Z', 'delete');
  assert.equal((await events.observe(UAMI_ID, '2026-05-01T09:00:00Z', 'write')).stale, true);
  assert.equal((await events.observe(roleAssignmentId('ra-elsewhere'), '2026-05-01T08:00:00Z', 'write')).stale, false);

  const racing = await Promise.all(['09:10:01', '09:10:03', '09:10:02'].map((time) => events.observe(UAMI_ID, `2026-05-01T${time}Z`, 'write')));
  assert.equal(racing[1]?.stale, false, 'the latest of the racing writes is never stale, whatever order they land in');
  assert.equal((await events.observe(UAMI_ID, '2026-05-01T09:10:02.5Z', 'write')).stale, true, 'the latest of the racing writes was kept');
});

test('event times normalise to UTC with seven fractional digits, offsets included', () => {
  assert.equal(eventInstant('2017-08-16T03:54:38.2696833Z'), '2017-08-16T03:54:38.2696833Z');
  assert.equal(eventInstant('2017-08-16T05:54:38.26+02:00'), '2017-08-16T03:54:38.2600000Z');
  assert.equal(eventInstant(new Date('2017-08-16T03:54:38.269Z')), '2017-08-16T03:54:38.2690000Z');
  assert.throws(() => eventInstant('yesterday'), TypeError);
  assert.throws(() => eventInstant('2017-08-16T03:54:38'), /time zone/);
});
