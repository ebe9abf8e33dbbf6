import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ManagedIdentityCredential } from '@azure/identity';
import { call, useEmulator } from '../support/emulator.ts';
import { smallTenant } from '../support/seeds.ts';
import { ticketFinding } from '../support/tickets.ts';
import { GITHUB_API_PATH } from '../../emulator/sinks/github.ts';
import { loadPolicyFile } from '../../src/policy/load.ts';
import { ticketTrackers } from '../../src/actions/tickets/trackers.ts';
import { syncTicket } from '../../src/actions/tickets/sync.ts';

const emulator = await useEmulator({ seed: smallTenant() });
const { github, devops } = emulator.core.sinks;
const enforcing = loadPolicyFile(join(import.meta.dirname, '../../src/policy/examples/enforce.yaml')).policy;

test("the enforcing example policy's tickets section, with the emulator's environment, files one GitHub issue and one work item", async () => {
  const trackers = ticketTrackers(enforcing.tickets, emulator.env, new ManagedIdentityCredential());
  assert.deepEqual(trackers.map((tracker) => tracker.service), ['github', 'azure-devops']);
  const finding = ticketFinding();
  for (const tracker of trackers) assert.equal((await syncTicket(tracker, finding, 'open')).action, 'opened');
  for (const tracker of ticketTrackers(enforcing.tickets, emulator.env, new ManagedIdentityCredential())) {
    assert.equal((await syncTicket(tracker, finding, 'open')).action, 'unchanged', `${tracker.service}: found again by fingerprint, nothing written`);
  }
  assert.equal(github.issues.length, 1);
  assert.equal(devops.workItems.length, 1);
  assert.deepEqual(ticketTrackers({}, emulator.env, new ManagedIdentityCredential()), []);
});

test('the sinks are readable and resettable through /_emulator/sinks, and take new repositories and projects', async () => {
  const listed = await call(emulator, 'GET', '/_emulator/sinks/github');
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.body.repositories, ['contoso/cloud-governance']);
  assert.equal(listed.body.issues[0].labels[0], 'idwarden');
  assert.ok(listed.body.requests.some((request: { route: string }) => request.route === 'github.issues.create'));
  assert.ok(!JSON.stringify(listed.body).includes(github.token), 'no token in what the sink recorded');
  const workItems = await call(emulator, 'GET', '/_emulator/sinks/devops');
  assert.equal(workItems.body.workItems[0].fields['System.WorkItemType'], 'Issue');
  assert.equal(workItems.body.projects[0].process, 'Basic');

  assert.equal((await call(emulator, 'POST', '/_emulator/sinks/github/repositories', { body: { fullName: 'contoso/platform' } })).status, 201);
  // GitHub also takes the older `token` scheme for personal access tokens.
  const empty = await call(emulator, 'GET', `${GITHUB_API_PATH}/repos/contoso/platform/issues`, { headers: { authorization: `token ${github.token}` } });
  assert.equal(empty.status, 200);
  assert.deepEqual(empty.body, []);
  assert.equal((await call(emulator, 'POST', '/_emulator/sinks/devops/projects', { body: { organization: 'fabrikam', project: 'Ops', process: 'Scrum' } })).status, 201);
  assert.equal(devops.project('fabrikam', 'ops')?.process, 'Scrum');

  assert.equal((await call(emulator, 'DELETE', '/_emulator/sinks/github')).status, 204);
  assert.equal((await call(emulator, 'DELETE', '/_emulator/sinks/devops')).status, 204);
  assert.deepEqual([github.issues.length, github.requests.length, devops.workItems.length, devops.requests.length], [0, 0, 0, 0]);
  assert.equal((await call(emulator, 'POST', '/_emulator/sinks/github/repositories', { body: { fullName: 'no-slash' } })).status, 400);
});
