import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEmulator } from '../support/emulator.ts';
import { useAzurite } from '../support/azurite.ts';
import { loadFunctionsApp, invocationContext } from '../support/functions-host.ts';
import { DEMO_SEED } from '../../emulator/index.ts';
import { sharedRuntime } from '../../src/runtime/runtime.ts';

const emulator = await useEmulator({ seed: DEMO_SEED, clockStartsAt: new Date('2026-11-20T12:00:00Z') });
const azurite = await useAzurite();
const teams = emulator.core.sinks.teams.createWorkflow(emulator.baseUrl, 'secops');
// Email needs Mail.Send, as a deployment with email on grants it.
const tenant = emulator.core.tenant;
tenant.grantAppRole(tenant.bot.principalId, tenant.microsoftGraph.appRoles.find((role) => role.value === 'Mail.Send')!.id, tenant.microsoftGraph.id, emulator.core.clock.now());
Object.assign(process.env, emulator.env, {
  IDWARDEN_STORAGE_CONNECTION_STRING: azurite.connectionString,
  IDWARDEN_POLICY_FILE: new URL('../../src/policy/examples/enforce.yaml', import.meta.url).pathname,
  IDWARDEN_TABLE_PREFIX: `twice${process.pid}`,
  TEAMS_WEBHOOK_URL: teams.url,
});
const functions = await loadFunctionsApp();

/** One whole sweep as the host would run it: the timer, then every queue message through the queue function. */
async function sweep(): Promise<string[]> {
  const runtime = await sharedRuntime();
  const lines: string[] = [];
  const timer = invocationContext('sweep');
  await functions.get('sweep')!.handler({ isPastDue: false }, timer.context);
  for (;;) {
    const { receivedMessageItems } = await runtime.scanQueue.receiveMessages({ numberOfMessages: 32 });
    if (receivedMessageItems.length === 0) return lines;
    for (const item of receivedMessageItems) {
      const { context, logs } = invocationContext('scanSubscriptions', { triggerMetadata: { dequeueCount: 1 } });
      await functions.get('scanSubscriptions')!.handler(JSON.parse(Buffer.from(item.messageText, 'base64').toString('utf8')), context);
      await runtime.scanQueue.deleteMessage(item.messageId, item.popReceipt);
      lines.push(...logs.map((log) => log.message));
    }
  }
}

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
  const runtime = await sharedRuntime();
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
