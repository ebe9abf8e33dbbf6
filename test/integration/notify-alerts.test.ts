import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { useEmulator } from '../support/emulator.ts';
import { MAILBOX, MAILBOX_USER, graphTenant } from '../support/graph-seed.ts';
import { BOT_PRINCIPAL } from '../support/ids.ts';
import { alertFinding, capturingLog, FakeClock, manyAlertItems } from '../support/alerts.ts';
import { buildTenant } from '../../emulator/seed/load.ts';
import { workflowThrottled } from '../../emulator/sinks/teams.ts';
import { createAzureClients } from '../../src/azure/clients.ts';
import { loadAzureConfig } from '../../src/azure/config.ts';
import { createAlertDispatcher, type AlertOutcome } from '../../src/actions/notify/dispatcher.ts';
import type { AlertItem } from '../../src/actions/notify/alert.ts';
import type { Policy } from '../../src/policy/schema.ts';

/**
 * Alerts end to end: the dispatcher posts through real fetch to the emulator's Teams Workflows trigger and sends mail
 * through the bot's real Graph client, over HTTPS, as the bot's managed identity.
 */
const seedWithMailSend = graphTenant({
  appRoleAssignments: [
    { principalId: BOT_PRINCIPAL, permission: 'Directory.Read.All' },
    { principalId: BOT_PRINCIPAL, permission: 'Mail.Send' },
  ],
});
const emulator = await useEmulator({ seed: seedWithMailSend });
const clients = createAzureClients(loadAzureConfig(emulator.env));
const workflow = emulator.core.sinks.teams.createWorkflow(emulator.baseUrl, 'secops alerts');
const SETTING = 'IDWARDEN_TEAMS_WEBHOOK';
const notify: Policy['notify'] = { teams: { webhookUrlSetting: SETTING }, email: { from: MAILBOX, to: ['secops@contoso.example'] } };
const run = { kind: 'sweep', id: 'run-1' } as const;

/** Every form of the secret: the URL, its path and query, the signature, the workflow id. */
const webhook = new URL(workflow.url);
const SECRETS = [workflow.url, decodeURIComponent(workflow.url), webhook.pathname, webhook.search, webhook.searchParams.get('sig')!, workflow.id];
/** Every line logged and every reason returned, across the file: the last test checks them for the secret. */
const producedText: string[] = [];

function dispatcher(env: Record<string, string | undefined> = { [SETTING]: workflow.url }) {
  const log = capturingLog();
  const clock = new FakeClock();
  const dispatch = async (items: AlertItem[], config: Policy['notify'] = notify) => {
    const outcomes = await createAlertDispatcher({ env, clients, clock, log, random: () => 1 }).dispatch(items, config, run);
    producedText.push(...log.lines, ...outcomes.map((outcome) => outcome.reason));
    return outcomes;
  };
  return { log, clock, dispatch };
}

const requests = (route: string) => emulator.core.requests.recent().filter((entry) => entry.route === route).length;
const byChannel = (outcomes: AlertOutcome[], channel: AlertOutcome['channel']) => outcomes.filter((outcome) => outcome.channel === channel);

beforeEach(() => {
  emulator.core.sinks.teams.clear();
  emulator.core.mail.clear();
  emulator.core.requests.reset();
});
afterEach(() => emulator.core.faults.clear());

test('one finding: one Teams card that Teams can post, and one HTML email sent as the bot', async () => {
  const finding = alertFinding();
  const outcomes = await dispatcher().dispatch([{ finding, ticketUrl: 'https://github.com/contoso/cloud-governance/issues/42' }]);
  assert.deepEqual(outcomes, [
    { findingId: finding.id, channel: 'teams', status: 'sent', reason: 'sent in its own message', message: 'single', attempts: 1 },
    { findingId: finding.id, channel: 'email', status: 'sent', reason: 'sent in its own message', message: 'single', attempts: 1 },
  ]);

  const [post] = emulator.core.sinks.teams.posts();
  assert.deepEqual(post?.run, { status: 'Succeeded' });
  assert.equal(post!.cards.length, 1);
  const card = post!.cards[0] as { body: { type: string; items?: { text: string }[]; facts?: { title: string; value: string }[] }[]; actions: { url: string }[] };
  assert.equal(card.body[0]!.items![1]!.text, 'uami-app holds Owner at subscription scope');
  assert.ok(card.body.some((element) => element.facts?.some((fact) => fact.title === 'Role' && fact.value === 'Owner')));
  assert.deepEqual(card.actions.map((action) => new URL(action.url).host), ['portal.azure.com', 'github.com']);

  const [mail] = emulator.core.mail.list();
  assert.deepEqual(mail?.from, { id: MAILBOX_USER, userPrincipalName: MAILBOX });
  assert.equal(mail!.sentBy, BOT_PRINCIPAL);
  assert.equal(mail!.saveToSentItems, false);
  assert.equal(mail!.message.subject, '[idwarden] High: uami-app holds Owner at subscription scope');
  assert.equal(mail!.message.body?.contentType, 'HTML');
  assert.match(mail!.message.body!.content, /<a href="https:\/\/github\.com\/contoso\/cloud-governance\/issues\/42">Open ticket<\/a>/);
  assert.deepEqual(mail!.message.toRecipients, [{ emailAddress: { address: 'secops@contoso.example' } }]);
  assert.equal(requests('teams.workflow.invoke'), 1);
  assert.equal(requests('graph.users.sendMail'), 1);
});

test('500 findings from one sweep: exactly one Teams digest and one email, and every finding is accounted for', async () => {
  const items = manyAlertItems(500);
  const outcomes = await dispatcher().dispatch(items);
  assert.equal(requests('teams.workflow.invoke'), 1);
  assert.equal(requests('graph.users.sendMail'), 1);
  assert.equal(outcomes.length, 1000);
  for (const channel of ['teams', 'email'] as const) {
    const sent = byChannel(outcomes, channel);
    assert.deepEqual(new Set(sent.map((outcome) => outcome.findingId)), new Set(items.map((item) => item.finding.id)));
    assert.ok(sent.every((outcome) => outcome.status === 'sent' && outcome.message === 'digest'), channel);
  }

  const [post] = emulator.core.sinks.teams.posts();
  assert.deepEqual(post!.run, { status: 'Succeeded' }, 'the digest is a card Teams posts');
  assert.match(JSON.stringify(post!.cards[0]), /500 findings need attention.*…and 490 more in the run's report\./);
  const [mail] = emulator.core.mail.list();
  assert.match(mail!.message.subject ?? '', /^\[idwarden\] 500 findings need attention: /);
  assert.match(mail!.message.body!.content, /…and 400 more in the run's report\./);
});

test('three findings are three cards and three emails: the digest starts above the threshold', async () => {
  const outcomes = await dispatcher().dispatch(manyAlertItems(3));
  assert.equal(requests('teams.workflow.invoke'), 3);
  assert.equal(requests('graph.users.sendMail'), 3);
  assert.ok(outcomes.every((outcome) => outcome.status === 'sent' && outcome.message === 'single'));
});

test('Teams answers 429 with Retry-After, then accepts: one retry after exactly the wait asked, one card posted', async () => {
  emulator.core.faults.add({ route: 'teams.workflow.invoke', times: 1, response: workflowThrottled(2, workflow.id) });
  const { clock, log, dispatch } = dispatcher();
  const [teams] = await dispatch([{ finding: alertFinding() }], { teams: notify.teams });
  assert.deepEqual(teams, { findingId: alertFinding().id, channel: 'teams', status: 'sent', reason: 'sent in its own message', message: 'single', attempts: 2 });
  assert.deepEqual(clock.waits, [2000]);
  assert.equal(requests('teams.workflow.invoke'), 2);
  assert.equal(emulator.core.sinks.teams.posts().length, 1);
  assert.ok(log.lines.some((line) => /teams: attempt 1 failed \(.*answered 429 WorkflowRequestsThrottled.*\); retrying in 2000 ms/.test(line)), log.lines.join('\n'));
});

test('Graph throttles sendMail once: the Graph client retries it and the email is sent', async () => {
  emulator.core.faults.add({
    route: 'graph.users.sendMail',
    times: 1,
    response: { status: 429, headers: { 'Retry-After': '0' }, body: { error: { code: 'TooManyRequests', message: 'Please retry again later.' } } },
  });
  const [email] = await dispatcher().dispatch([{ finding: alertFinding() }], { email: notify.email });
  assert.equal(email!.status, 'sent');
  assert.equal(requests('graph.users.sendMail'), 2);
  assert.equal(emulator.core.mail.list().length, 1);
});

test('Teams keeps failing with 503: four attempts backing off 1, 2, 4 s, then a recorded failure, the finding kept', async () => {
  emulator.core.faults.add({ route: 'teams.workflow.invoke', response: { status: 503, body: { error: { code: 'ServiceUnavailable', message: 'The server is busy.' } } } });
  const { clock, dispatch } = dispatcher();
  const finding = alertFinding();
  const [teams] = await dispatch([{ finding }], { teams: notify.teams });
  assert.equal(teams!.findingId, finding.id);
  assert.equal(teams!.status, 'failed');
  assert.equal(teams!.attempts, 4);
  assert.match(teams!.reason, /answered 503 ServiceUnavailable: The server is busy\.$/);
  assert.deepEqual(clock.waits, [1000, 2000, 4000]);
  assert.equal(requests('teams.workflow.invoke'), 4);
});

test('a wrong signature is a recorded failure, not retried, naming the app setting and the error code but never the URL', async () => {
  const forged = new URL(workflow.url);
  forged.searchParams.set('sig', 'X'.repeat(43));
  const { log, dispatch } = dispatcher({ [SETTING]: forged.href });
  const [teams] = await dispatch([{ finding: alertFinding() }], { teams: notify.teams });
  assert.equal(teams!.status, 'failed');
  assert.equal(teams!.attempts, 1);
  assert.equal(
    teams!.reason,
    `the Teams webhook in app setting ${SETTING} (host ${forged.host}) answered 401 DirectApiInvalidAuthorizationSignature: The provided authorization signature is not valid.`,
  );
  assert.equal(requests('teams.workflow.invoke'), 1);
  assert.deepEqual(emulator.core.sinks.teams.posts(), []);
  for (const text of [...log.lines, teams!.reason]) {
    for (const secret of [...SECRETS, forged.href, 'X'.repeat(43)]) assert.ok(!text.includes(secret), `secret in: ${text}`);
  }
});

test('a redirect is not followed: only the webhook URL itself is ever called', async () => {
  emulator.core.faults.add({ route: 'teams.workflow.invoke', response: { status: 307, headers: { location: `${emulator.baseUrl}/_emulator/health` } } });
  const [teams] = await dispatcher().dispatch([{ finding: alertFinding() }], { teams: notify.teams });
  assert.equal(teams!.status, 'failed');
  assert.match(teams!.reason, /answered a redirect \(307\); redirects are not followed$/);
  assert.equal(requests('control.health'), 0);
  assert.equal(requests('teams.workflow.invoke'), 1);
});

test('without Mail.Send the email is a recorded 403 failure, and Teams still gets its card', async () => {
  const withMailSend = emulator.core.tenant;
  emulator.core.tenant = buildTenant(graphTenant(), 'the Graph tenant without Mail.Send');
  try {
    const finding = alertFinding();
    const outcomes = await dispatcher().dispatch([{ finding }]);
    const [teams] = byChannel(outcomes, 'teams');
    const [email] = byChannel(outcomes, 'email');
    assert.equal(teams!.status, 'sent');
    assert.equal(email!.findingId, finding.id);
    assert.equal(email!.status, 'failed');
    assert.match(email!.reason, /^Microsoft Graph users\.sendMail failed with 403 Authorization_RequestDenied: Insufficient privileges to complete the operation\. \(request id [0-9a-f-]{36}\)$/);
    assert.deepEqual(emulator.core.mail.list(), []);
  } finally {
    emulator.core.tenant = withMailSend;
  }
});

test('nothing is sent for dry-run, exempt or report-only findings, and a missing app setting fails without a request', async () => {
  const quiet: AlertItem[] = [
    { finding: alertFinding({ decision: { action: 'remediate', dryRun: true } }) },
    { finding: alertFinding({ principalId: 'e0000000-0000-4000-8000-000000000001', decision: { action: 'report', dryRun: false, exemption: { reason: 'deploy pipeline', approvedBy: null, expires: null } } }) },
    { finding: alertFinding({ principalId: 'e0000000-0000-4000-8000-000000000002', decision: { action: 'report', dryRun: false } }) },
  ];
  const skipped = await dispatcher().dispatch(quiet);
  assert.deepEqual(
    skipped.map((outcome) => [outcome.channel, outcome.status, outcome.reason]),
    [
      ['teams', 'skipped', 'dry-run: the policy sends no alerts'],
      ['email', 'skipped', 'dry-run: the policy sends no alerts'],
      ['teams', 'skipped', 'exempt: deploy pipeline'],
      ['email', 'skipped', 'exempt: deploy pipeline'],
      ['teams', 'skipped', "the policy's action for this finding is report"],
      ['email', 'skipped', "the policy's action for this finding is report"],
    ],
  );
  const [unset] = await dispatcher({}).dispatch([{ finding: alertFinding() }], { teams: notify.teams });
  assert.deepEqual(unset, { findingId: alertFinding().id, channel: 'teams', status: 'failed', reason: `app setting ${SETTING} (notify.teams.webhookUrlSetting) is not set`, attempts: 0 });
  assert.equal(emulator.core.requests.total(), 0);
});

test('the webhook URL appears in no log line and no outcome this file produced', () => {
  assert.ok(producedText.length > 20, 'the tests above produced log lines and reasons');
  assert.ok(producedText.some((text) => text.includes(`app setting ${SETTING}`)), 'destinations are named by their app setting');
  for (const text of producedText) {
    for (const secret of SECRETS) assert.ok(!text.includes(secret), `secret in: ${text}`);
  }
});
