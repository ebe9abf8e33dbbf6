import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { format, inspect } from 'node:util';
import { AzureLogger, getLogLevel, setLogLevel, type AzureLogLevel } from '@azure/logger';
import azureFunctions from '@azure/functions';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { ManagedServiceIdentityClient } from '@azure/arm-msi';
import { credentialFor, useEmulator } from '../support/emulator.ts';
import { AZURITE_ACCOUNT_KEY, useAzurite } from '../support/azurite.ts';
import { loadFunctionsApp, invocationContext } from '../support/functions-host.ts';
import { ARM_SCOPE, GRAPH_SCOPE } from '../../src/azure/clients.ts';
import { AZURE_DEVOPS_SCOPE } from '../../src/actions/tickets/azure-devops.ts';
import { DEMO_AS_OF } from '../../src/cli/demo.ts';
import { runSweep } from '../../src/pipeline/sweep.ts';
import { REPORT_FORMATS, renderReport } from '../../src/report/render.ts';
import { createRuntime, installSharedRuntime } from '../../src/runtime/runtime.ts';
import { createTableClient, loadStorageConfig } from '../../src/state/connection.ts';

/**
 * No secret is ever written: the demo tenant through an enforcing run (events to the webhook function, the timer's
 * sweep through the queue to the scan function, remediations, Teams and email alerts, GitHub and Azure DevOps
 * tickets), with a few services failing on the way so error paths write too. Everything the run writes is gathered
 * (function logs, console output, function responses, every table entity, the poison queue, the reports in every
 * format, every ticket and alert payload the services received, and the Azure SDKs' own logs at verbose, as
 * AZURE_LOG_LEVEL=verbose would have them) and searched for every secret the run held, every token the emulator
 * minted among them.
 */

const PROD = '5b000001-0000-4000-8000-000000000001';
const ADA = 'e0000000-0000-4000-8000-000000000001';
const OWNER = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';

// Console output of the whole run, from before anything starts; the real console is restored when the file ends.
const consoleLines: string[] = [];
const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
const realConsole = Object.fromEntries(CONSOLE_METHODS.map((method) => [method, console[method]]));
for (const method of CONSOLE_METHODS) console[method] = (...args: unknown[]) => void consoleLines.push(args.map((arg) => (typeof arg === 'string' ? arg : inspect(arg, { depth: 8 }))).join(' '));
// The Azure SDKs' logs (pipeline requests and responses, identity, storage) at their most verbose, as written to stderr.
const sdkLogLines: string[] = [];
const realSdkLog = AzureLogger.log;
const realLogLevel = getLogLevel();
setLogLevel('verbose');
AzureLogger.log = (...args: unknown[]) => void sdkLogLines.push(format(...args));
const restoreConsole = () => {
  Object.assign(console, realConsole);
  AzureLogger.log = realSdkLog;
  setLogLevel(realLogLevel as AzureLogLevel | undefined);
};

const emulator = await useEmulator({ clockStartsAt: DEMO_AS_OF });
const azurite = await useAzurite();
const { tenant } = emulator.core;
// Every access token the emulator hands out during the run, whoever asked for it: each one is a secret.
const mintedTokens: string[] = [];
const mint = emulator.core.tokens.mint.bind(emulator.core.tokens);
emulator.core.tokens.mint = (request) => {
  const minted = mint(request);
  mintedTokens.push(minted.token);
  return minted;
};
// A deployment with email on grants the bot Mail.Send (as `idwarden demo --enforce` does).
tenant.grantAppRole(tenant.bot.principalId, tenant.microsoftGraph.appRoles.find((role) => role.value === 'Mail.Send')!.id, tenant.microsoftGraph.id, emulator.core.clock.now());
const teams = emulator.core.sinks.teams.createWorkflow(emulator.baseUrl, 'secops channel');
const WEBHOOK_KEY = randomBytes(24).toString('base64url');
const env: Record<string, string> = {
  ...emulator.env,
  IDWARDEN_STORAGE_CONNECTION_STRING: azurite.connectionString,
  IDWARDEN_POLICY_FILE: new URL('../../src/policy/examples/enforce.yaml', import.meta.url).pathname,
  IDWARDEN_SWEEP_BATCH_SIZE: '10',
  IDWARDEN_TABLE_PREFIX: `sec${process.pid}`,
  TEAMS_WEBHOOK_URL: teams.url,
  IDWARDEN_WEBHOOK_KEY: WEBHOOK_KEY,
};
const runtime = await createRuntime(env, { now: () => emulator.core.clock.now() });
installSharedRuntime(runtime);
const functions = await loadFunctionsApp();

/** Everything the run wrote, by where it went. */
const written = new Map<string, string[]>();
const record = (where: string, value: unknown) => written.set(where, [...(written.get(where) ?? []), typeof value === 'string' ? value : JSON.stringify(value)]);

async function invoke(name: string, ...args: unknown[]): Promise<unknown> {
  const { context, logs } = invocationContext(name, name === 'scanSubscriptions' ? { triggerMetadata: { dequeueCount: 1 } } : {});
  try {
    const result = await functions.get(name)!.handler(...args, context);
    record(`response of ${name}`, result ?? null);
    return result;
  } finally {
    for (const log of logs) record(`log of ${name}`, `${log.level} ${log.message}`);
  }
}

/** Services failing on the way: the run's error paths write messages too (a Teams error that echoes the webhook URL). */
function failSomeCalls(): void {
  const { faults } = emulator.core;
  faults.add({ route: 'teams.workflow.invoke', times: 1, response: { status: 429, headers: { 'retry-after': '0' }, body: { error: { code: 'WorkflowRequestsThrottled', message: 'throttled' } } } });
  faults.add({
    route: 'teams.workflow.invoke',
    after: 3,
    times: 1,
    response: { status: 400, body: { error: { code: 'TriggerInputSchemaMismatch', message: `The input body for trigger 'manual' at '${teams.url}' did not match its schema.` } } },
  });
  faults.add({ route: 'github.issues.create', after: 2, times: 1, response: { status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' } } });
  faults.add({ route: 'devops.workItems.create', after: 2, times: 1, response: { status: 500, body: { message: 'VS402371: internal error', typeKey: 'InternalServerError' } } });
  faults.add({ route: 'arm.roleAssignments.list', times: 1, response: { status: 429, headers: { 'retry-after': '0' }, body: { error: { code: 'TooManyRequests', message: 'throttled' } } } });
}

test('an enforcing run, with the Azure SDKs logging at verbose, writes no token, webhook URL or key, GitHub token, identity header or storage key anywhere', async () => {
  try {
    failSomeCalls();
    await emulator.eventGrid.subscribe({
      name: 'idwarden-security',
      schema: 'EventGridSchema',
      // The key in the URL, where a logged request line would show it.
      deliver: async (body, headers) => {
        const request = new azureFunctions.HttpRequest({ method: 'POST', url: `https://idwarden.example/api/events?key=${WEBHOOK_KEY}`, headers, body: { string: JSON.stringify(body) } });
        return ((await invoke('eventGridWebhook', request)) as { status: number }).status;
      },
    });
    // A caller with almost the key is refused, and the refusal is logged.
    const nearMiss = new azureFunctions.HttpRequest({ method: 'POST', url: `https://idwarden.example/api/events?key=${WEBHOOK_KEY.slice(0, -1)}x`, body: { string: '[]' } });
    assert.equal(((await invoke('eventGridWebhook', nearMiss)) as { status: number }).status, 401);

    // A person creates an identity and makes it Owner of a subscription: events, judgement, remediation, alerts.
    const asAda = credentialFor(emulator, ADA);
    const armOptions = { endpoint: emulator.baseUrl, credentialScopes: [ARM_SCOPE] };
    const identity = await new ManagedServiceIdentityClient(asAda, PROD, armOptions).userAssignedIdentities.createOrUpdate('rg-data-prod', 'uami-secret-scan', { location: 'westeurope' });
    await new AuthorizationManagementClient(asAda, PROD, armOptions).roleAssignments.create(`/subscriptions/${PROD}`, 'de400000-0000-4000-8000-0000000005ec', {
      roleDefinitionId: `/subscriptions/${PROD}/providers/Microsoft.Authorization/roleDefinitions/${OWNER}`,
      principalId: identity.principalId!,
      principalType: 'ServicePrincipal',
    });
    await emulator.eventGrid.flush();
    await emulator.eventGrid.flush();

    // The timer's sweep through the queue: remediations, tickets, digests.
    await invoke('sweep', { isPastDue: false });
    for (;;) {
      const { receivedMessageItems } = await runtime.scanQueue.receiveMessages({ numberOfMessages: 32 });
      if (receivedMessageItems.length === 0) break;
      for (const item of receivedMessageItems) {
        await invoke('scanSubscriptions', JSON.parse(Buffer.from(item.messageText, 'base64').toString('utf8')));
        await runtime.scanQueue.deleteMessage(item.messageId, item.popReceipt);
      }
    }
    await emulator.eventGrid.flush();
    await invoke('health', new azureFunctions.HttpRequest({ method: 'GET', url: 'https://idwarden.example/api/health' }));

    // The reports, in every format, of the tenant after the run.
    const { report } = await runSweep(runtime.clients, runtime.policy, { asOf: runtime.now() });
    for (const format of REPORT_FORMATS) record(`report (${format})`, renderReport(report, format));
  } finally {
    restoreConsole();
  }
  for (const line of consoleLines) record('console', line);
  for (const line of sdkLogLines) record('Azure SDK log', line);

  // What the state store holds: every entity of every table, and the audit log as the bot reads it back.
  const storage = loadStorageConfig(env);
  for (const name of runtime.state.tables) {
    for await (const entity of (await createTableClient(storage, name)).listEntities()) record(`table ${name}`, entity);
  }
  for (const audit of await runtime.state.audit.list()) record('audit record', audit);
  for (const stored of await runtime.state.findings.listOpen()) record('stored finding', stored);
  const poisoned = await runtime.scanPoisonQueue.peekMessages({ numberOfMessages: 32 });
  for (const message of poisoned.peekedMessageItems) record('poison queue', Buffer.from(message.messageText, 'base64').toString('utf8'));

  // What the services received: ticket and alert payloads (the sinks keep bodies, never credentials).
  for (const request of emulator.core.sinks.github.requests) record('GitHub request', { path: request.path, query: request.query, body: request.body });
  for (const request of emulator.core.sinks.devops.requests) record('Azure DevOps request', { path: request.path, query: request.query, body: request.body });
  for (const post of emulator.core.sinks.teams.posts()) record('Teams post', post.body);
  for (const mail of emulator.core.mail.list()) record('email', mail.message);

  // The run did what it was meant to, failures included: otherwise a clean result would prove nothing.
  const count = (where: string) => written.get(where)?.length ?? 0;
  const audit = await runtime.state.audit.list();
  assert.ok(audit.some((entry) => entry.outcome === 'deleted' || entry.outcome === 'downscoped'), 'remediations were audited');
  assert.ok(count('GitHub request') > 0 && count('Azure DevOps request') > 0, 'tickets were written to both trackers');
  assert.ok(count('Teams post') > 0 && count('email') > 0, 'alerts went to Teams and email');
  for (const where of ['log of eventGridWebhook', 'log of scanSubscriptions', 'console', 'report (html)', 'Azure SDK log']) assert.ok(count(where) > 0, `${where} was captured`);
  // The verbose SDK log shows the requests themselves, token requests included: a clean result is not for want of lines.
  assert.ok(sdkLogLines.some((line) => /Request: \{/.test(line) && /authorization/i.test(line)), 'the SDK log has requests with their (redacted) headers');
  const everything = [...written.values()].flat().join('\n');
  // (assert.ok, not assert.match: a failure must not print the whole corpus)
  assert.ok(/attempt 1 failed/.test(everything), 'the throttled Teams post was retried and logged');
  assert.deepEqual(Object.values(emulator.core.faults.counts()), [1, 1, 1, 1, 1], 'every injected failure happened once');
  assert.ok(/TriggerInputSchemaMismatch/.test(everything), 'the Teams error that echoed the webhook URL was reported');

  // Every secret the run held.
  const webhook = new URL(teams.url);
  // The credential caches: these are the tokens the run sent to ARM, Graph and Azure DevOps.
  const tokens = await Promise.all(
    [ARM_SCOPE, GRAPH_SCOPE, AZURE_DEVOPS_SCOPE].map(async (scope) => (await runtime.clients.credential.getToken(scope))!.token),
  );
  const secrets: [string, string][] = [
    ['the IDENTITY_HEADER value', emulator.env['IDENTITY_HEADER']!],
    ['the webhook key', WEBHOOK_KEY],
    ['the webhook key, but its last character', WEBHOOK_KEY.slice(0, -1)],
    ['the Teams webhook URL', teams.url],
    ['the Teams webhook URL, decoded', decodeURIComponent(teams.url)],
    ["the Teams webhook's sig", webhook.searchParams.get('sig')!],
    ['the GitHub token', emulator.core.sinks.github.token],
    ['the storage account key', AZURITE_ACCOUNT_KEY],
    ...tokens.map((token, index): [string, string] => [`the bot's access token #${index + 1}`, token]),
    ...mintedTokens.map((token, index): [string, string] => [`access token #${index + 1} minted by the emulator`, token]),
    // The part of a token that is its own: a signature alone is as good as a leak.
    ...mintedTokens.map((token, index): [string, string] => [`the signature of minted token #${index + 1}`, token.split('.')[2]!]),
  ];
  assert.ok(mintedTokens.length >= tokens.length, `the emulator's tokens were collected (${mintedTokens.length})`);
  assert.ok(secrets.every(([, secret]) => secret.length >= 16), 'each secret is long enough to be found only where it leaked');
  const leaks: string[] = [];
  for (const [where, values] of written) {
    for (const value of values) {
      for (const [what, secret] of secrets) if (value.includes(secret)) leaks.push(`${what} in ${where}: ${excerpt(value, secret)}`);
      const jwt = /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]*/.exec(value);
      if (jwt) leaks.push(`a JWT in ${where}: ${excerpt(value, jwt[0])}`);
      const bearer = /\bbearer\s+(?!\[REDACTED\])[\w.~+/-]{16,}/i.exec(value);
      if (bearer) leaks.push(`a bearer credential in ${where}: ${excerpt(value, bearer[0])}`);
    }
  }
  assert.deepEqual(leaks, []);
  const items = [...written.values()].reduce((total, values) => total + values.length, 0);
  console.log(`# searched ${items} written items (${Math.round(everything.length / 1024)} KiB, ${sdkLogLines.length} Azure SDK log lines) from ${written.size} places for ${secrets.length} secrets (${mintedTokens.length} minted tokens), JWTs and bearer credentials`);
});

/** The text around a leak, the secret itself cut short. */
function excerpt(text: string, secret: string): string {
  const at = text.indexOf(secret);
  return `…${text.slice(Math.max(0, at - 60), at)}<${secret.slice(0, 6)}…>${text.slice(at + secret.length, at + secret.length + 40)}…`;
}
