import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultHarness, sweep as runSweepThroughFunctions } from '../faults/harness.ts';

// The enforcing demo set-up (demo seed, enforce policy, Teams and email and ticket sinks), without any fault.
const harness = await startFaultHarness('twice');
const { emulator } = harness;
const sweep = () => runSweepThroughFunctions(harness);

const writes = () => ({
  github: emulator.core.sinks.github.requests.filter((r) => r.method !== 'GET').length,
  devops: emulator.core.sinks.devops.requests.filter((r) => r.method !== 'GET' && !/wiql/i.test(r.path)).length,
  teams: emulator.core.sinks.teams.posts().length,
  mail: emulator.core.mail.list().length,
});

const createdFingerprints = () =>
  emulator.core.sinks.github.requests
    .filter((request) => request.route === 'github.issues.create')
    .map((request) => /idwarden:fingerprint=([^ ]+)/.exec(String((request.body as { body?: string }).body))?.[1]);

test('an enforcing sweep remediates, tickets and alerts; later sweeps never repeat an action or duplicate a ticket, and settle', async () => {
  const { runtime } = harness;
  const actions = async () => (await runtime.state.audit.list()).filter((record) => record.kind === 'action').length;
  await sweep();
  const afterFirst = writes();
  const acted = await actions();
  assert.ok(acted > 0, 'the first sweep remediated');
  assert.ok(afterFirst.github > 0 && afterFirst.devops > 0, 'tickets were opened');
  assert.equal(afterFirst.teams, 1, 'one Teams digest for the sweep');
  assert.equal(afterFirst.mail, 1, 'one email digest for the sweep');

  // A down-scoped Owner still delegates access at its resource group: the second sweep may open that finding, once.
  await sweep();
  assert.equal(await actions(), acted, 'no remediation repeated');
  const fingerprints = createdFingerprints();
  assert.ok(fingerprints.every((fingerprint) => fingerprint !== undefined));
  assert.equal(new Set(fingerprints).size, fingerprints.length, 'one GitHub issue per finding, ever');

  const settled = writes();
  const lines = await sweep();
  assert.deepEqual(writes(), settled, 'the third sweep writes no ticket, comment or alert');
  assert.equal(await actions(), acted);
  assert.match(lines.at(-1)!, / opened=0 resolved=0 /);
});
