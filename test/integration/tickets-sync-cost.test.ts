import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TokenCredential } from '@azure/identity';
import { tokenFor, useEmulator } from '../support/emulator.ts';
import { BOT_PRINCIPAL } from '../support/ids.ts';
import { smallTenant } from '../support/seeds.ts';
import { ticketFinding } from '../support/tickets.ts';
import { AZURE_DEVOPS_RESOURCE_ID } from '../../emulator/sinks/azure-devops-wire.ts';
import { GITHUB_API_PATH } from '../../emulator/sinks/github.ts';
import { AzureDevOpsTracker } from '../../src/actions/tickets/azure-devops.ts';
import { loadTicketEndpoints } from '../../src/actions/tickets/config.ts';
import { findingDigest } from '../../src/actions/tickets/digest.ts';
import { GitHubIssuesTracker } from '../../src/actions/tickets/github-issues.ts';
import { syncTicket, type TicketSyncAction } from '../../src/actions/tickets/sync.ts';
import { FULL_READ_EVERY_MS, TicketCache } from '../../src/actions/tickets/ticket-index.ts';
import type { KnownTicket, TicketTracker } from '../../src/actions/tickets/tracker.ts';
import type { Finding } from '../../src/model/finding.ts';

// What a sweep costs the trackers once many findings carry tickets: reads asserted from the sinks' request logs.
const emulator = await useEmulator({ seed: smallTenant() });
const { github, devops } = emulator.core.sinks;
const { clock } = emulator.core;
const endpoints = loadTicketEndpoints(emulator.env);
const REPO = 'contoso/cloud-governance';
const now = () => clock.now().getTime();
const HOUR = 3_600_000;
const routes = (requests: readonly { route: string }[]) => requests.map((request) => request.route);
// The bot's token for Azure DevOps, minted afresh on the emulator clock: the tests move it by hours, past a cached token's life.
const credential = (): TokenCredential => ({
  getToken: async () => ({ token: tokenFor(emulator, BOT_PRINCIPAL, AZURE_DEVOPS_RESOURCE_ID), expiresOnTimestamp: now() + HOUR }),
});

const principal = (index: number) => `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`;
const world = (size: number) => Array.from({ length: size }, (_, index) => ticketFinding({ principalId: principal(index) }));

const githubTracker = (cache: TicketCache) => new GitHubIssuesTracker({ apiUrl: endpoints.githubApiUrl, repository: REPO, token: github.token, cache, http: { now } });
const devopsTracker = (cache: TicketCache) => new AzureDevOpsTracker({ baseUrl: endpoints.azureDevOpsUrl, organization: 'contoso', project: 'SecOps', credential: credential(), cache, http: { now } });

/** Opens one ticket per finding through a tracker of its own; returns what the bot's state would keep. */
async function fileTickets(tracker: TicketTracker, findings: Finding[]): Promise<Map<string, KnownTicket>> {
  const known = new Map<string, KnownTicket>();
  for (const finding of findings) known.set(finding.id, { service: tracker.service, id: (await tracker.open(finding, findingDigest(finding))).id });
  return known;
}

/** One sweep's ticket sync, as src/runtime runs it: one tracker for the run, every finding in turn. */
async function sweep(tracker: TicketTracker, findings: Finding[], known?: Map<string, KnownTicket>): Promise<Map<TicketSyncAction, number>> {
  const actions = new Map<TicketSyncAction, number>();
  for (const finding of findings) {
    const { action } = await syncTicket(tracker, finding, 'open', known?.get(finding.id));
    actions.set(action, (actions.get(action) ?? 0) + 1);
  }
  return actions;
}


test('GitHub, 500 tracked findings: a sweep lists 5 pages the first time, then one incremental page; state loss finds every issue', async () => {
  const findings = world(500);
  const known = await fileTickets(new GitHubIssuesTracker({ apiUrl: endpoints.githubApiUrl, repository: REPO, token: github.token }), findings);
  clock.advance(HOUR);
  github.requests.length = 0;

  const cache = new TicketCache();
  assert.deepEqual(await sweep(githubTracker(cache), findings, known), new Map([['unchanged', 500]]));
  const firstSweep = github.requests.splice(0);
  assert.deepEqual(routes(firstSweep), Array(5).fill('github.issues.list'), 'one listing, no issues.get per known ticket, no write');
  assert.deepEqual(firstSweep[0]!.query, { labels: 'idwarden', state: 'all', per_page: '100' });
  const repositoryId = github.repository('contoso', 'cloud-governance')!.id;
  assert.deepEqual(
    firstSweep.slice(1).map((request) => `${request.path}?page=${request.query['page']}`),
    [2, 3, 4, 5].map((page) => `${GITHUB_API_PATH}/repositories/${repositoryId}/issues?page=${page}`),
    'pages followed through the Link header',
  );

  // A person closes one issue ten minutes later: the next sweep reads only what changed, and reopens it.
  clock.advance(10 * 60_000);
  const closedByHand = github.issues.find((issue) => issue.number === 7)!;
  Object.assign(closedByHand, { state: 'closed', stateReason: 'not_planned', updatedAt: clock.now().toISOString().replace(/\.\d{3}Z$/, 'Z') });
  assert.deepEqual(await sweep(githubTracker(cache), findings, known), new Map([['unchanged', 499], ['reopened', 1]]));
  const secondSweep = github.requests.splice(0);
  assert.deepEqual(routes(secondSweep), ['github.issues.list', 'github.issues.createComment', 'github.issues.update']);
  // Since the first sweep's read began (GitHub's Date), less five minutes of overlap.
  assert.equal(secondSweep[0]!.query['since'], new Date(Date.parse(firstSweep[0]!.receivedAt) - 5 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'));
  assert.equal(closedByHand.state, 'open');

  // An event's finding after that: one incremental read, no issues.get.
  clock.advance(10 * 60_000);
  const eventFinding = { ...findings[42]!, source: 'event' as const };
  assert.equal((await syncTicket(githubTracker(cache), eventFinding, 'open', known.get(eventFinding.id))).action, 'unchanged');
  assert.deepEqual(routes(github.requests.splice(0)), ['github.issues.list']);

  // State loss (a new process, no tickets known): every issue found again by its marker, none opened twice.
  assert.deepEqual(await sweep(githubTracker(new TicketCache()), findings), new Map([['unchanged', 500]]));
  assert.deepEqual(routes(github.requests.splice(0)), Array(5).fill('github.issues.list'));
  assert.equal(github.issues.length, 500);
});

test('GitHub: an issue deleted behind the index is noticed by the hourly full read, and its finding gets a new issue', async () => {
  github.reset();
  const findings = world(3);
  const known = await fileTickets(new GitHubIssuesTracker({ apiUrl: endpoints.githubApiUrl, repository: REPO, token: github.token }), findings);
  const cache = new TicketCache();
  await sweep(githubTracker(cache), findings, known);
  github.issues.splice(github.issues.findIndex((issue) => issue.number === 2), 1);
  github.requests.length = 0;
  emulator.core.requests.reset();

  clock.advance(FULL_READ_EVERY_MS);
  assert.deepEqual(await sweep(githubTracker(cache), findings, known), new Map([['unchanged', 2], ['opened', 1]]));
  assert.equal(github.requests[0]!.query['since'], undefined, 'a full read');
  // Every call, answered or not (the sink records only the ones it accepted): the known issue missing from the index is re-read alone, and is gone.
  const calls = emulator.core.requests.recent().filter((request) => request.route.startsWith('github.'));
  assert.deepEqual(calls.map((request) => `${request.route} ${request.status}`), ['github.issues.list 200', 'github.issues.get 404', 'github.issues.create 201']);
  assert.equal(calls[1]!.path, `${GITHUB_API_PATH}/repos/${REPO}/issues/2`);
});

test('GitHub: an event whose finding has a known ticket, in a process that read no index yet, reads that issue alone', async () => {
  github.reset();
  const [finding] = world(1);
  const known = await fileTickets(new GitHubIssuesTracker({ apiUrl: endpoints.githubApiUrl, repository: REPO, token: github.token }), [finding!]);
  github.requests.length = 0;
  const event = { ...finding!, source: 'event' as const };
  assert.equal((await syncTicket(githubTracker(new TicketCache()), event, 'open', known.get(event.id))).action, 'unchanged');
  assert.deepEqual(routes(github.requests), ['github.issues.get']);
});

test('Azure DevOps, 250 tracked findings: one WIQL and two batches the first time, then one incremental WIQL; state loss finds every item', async () => {
  const findings = world(250);
  const known = await fileTickets(new AzureDevOpsTracker({ baseUrl: endpoints.azureDevOpsUrl, organization: 'contoso', project: 'SecOps', credential: credential() }), findings);
  clock.advance(HOUR);
  devops.requests.length = 0;

  const cache = new TicketCache();
  assert.deepEqual(await sweep(devopsTracker(cache), findings, known), new Map([['unchanged', 250]]));
  const firstSweep = devops.requests.splice(0);
  // The states of the type are read once, to tell open from closed.
  assert.deepEqual(routes(firstSweep), ['devops.wiql.query', 'devops.workItems.list', 'devops.workItemTypeStates.list', 'devops.workItems.list']);
  assert.deepEqual(
    firstSweep.filter((request) => request.route === 'devops.workItems.list').map((request) => request.query['ids']!.split(',').length),
    [200, 50],
  );
  assert.doesNotMatch(JSON.stringify(firstSweep[0]!.body), /ChangedDate/);

  clock.advance(10 * 60_000);
  assert.deepEqual(await sweep(devopsTracker(cache), findings, known), new Map([['unchanged', 250]]));
  const secondSweep = devops.requests.splice(0);
  assert.deepEqual(routes(secondSweep), ['devops.wiql.query'], 'nothing changed: the WIQL query returns no id');
  assert.equal(secondSweep[0]!.query['timePrecision'], 'true');
  assert.match(JSON.stringify(secondSweep[0]!.body), /\[System\.ChangedDate\] >= '/);

  // A person closes one work item: the incremental read brings it back, and the sweep reopens it.
  clock.advance(10 * 60_000);
  const closedByHand = devops.workItems[9]!;
  Object.assign(closedByHand.fields, { 'System.State': 'Done', 'System.ChangedDate': clock.now().toISOString() });
  assert.deepEqual(await sweep(devopsTracker(cache), findings, known), new Map([['unchanged', 249], ['reopened', 1]]));
  // The run's tracker reads the type's states to tell the changed item closed, then reopens it in one PATCH.
  assert.deepEqual(routes(devops.requests.splice(0)), ['devops.wiql.query', 'devops.workItems.list', 'devops.workItemTypeStates.list', 'devops.workItems.update']);
  assert.equal(closedByHand.fields['System.State'], 'To Do');

  assert.deepEqual(await sweep(devopsTracker(new TicketCache()), findings), new Map([['unchanged', 250]]));
  assert.deepEqual(routes(devops.requests.splice(0)), ['devops.wiql.query', 'devops.workItems.list', 'devops.workItemTypeStates.list', 'devops.workItems.list']);
  assert.equal(devops.workItems.length, 250);
});
