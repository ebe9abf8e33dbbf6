import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { botPermissions } from '../../src/deploy/bot-permissions.ts';
import { INFRA_DIR } from '../support/bicep.ts';

/**
 * infra/scripts/grant-graph-permissions.sh against a stand-in `az` that records each call and answers the two
 * Graph reads: what the script would POST to Microsoft Graph, from the permissions file and the flags.
 * Needs sh and jq, as the script does.
 */
/** A user's machine may lack jq: the script's tests say so and skip rather than fail. */
const jqMissing = spawnSync('jq', ['--version']).error ? 'jq is not installed (the script needs it)' : false;

const SCRIPT = join(INFRA_DIR, 'scripts', 'grant-graph-permissions.sh');
const BOT = 'b0700000-0000-4000-8000-000000000001';
const GRAPH_SP = '9a000000-0000-4000-8000-00000000000a';
const OTHER_RESOURCE = '9a000000-0000-4000-8000-00000000000b';

const work = mkdtempSync(join(tmpdir(), 'idwarden-az-'));
after(() => rmSync(work, { recursive: true, force: true }));
writeFileSync(
  join(work, 'az'),
  [
    '#!/bin/sh',
    'printf \'%s\\n\' "$*" >> "$FAKE_AZ_LOG"',
    'case "$*" in',
    `  *"servicePrincipals(appId='00000003-0000-0000-c000-000000000000')"*) printf '{"id":"${GRAPH_SP}"}' ;;`,
    `  *"--method GET"*"/servicePrincipals/${BOT}/appRoleAssignments"*) cat "$FAKE_AZ_GRANTED" ;;`,
    `  *"--method POST"*"/servicePrincipals/${BOT}/appRoleAssignments"*) printf '{}' ;;`,
    '  *) echo "unexpected: az $*" >&2; exit 2 ;;',
    'esac',
    '',
  ].join('\n'),
);
chmodSync(join(work, 'az'), 0o755);

const idOf = (value: string) => botPermissions.graphAppRoles.find((grant) => grant.value === value)!.id;

function run(flags: Record<string, string>, granted: { resourceId: string; appRoleId: string }[]) {
  const log = join(work, `log-${Math.random().toString(16).slice(2)}`);
  const grantedFile = join(work, 'granted.json');
  writeFileSync(log, '');
  writeFileSync(grantedFile, JSON.stringify({ value: granted }));
  const output = execFileSync('sh', [SCRIPT, BOT], {
    env: { PATH: `${work}:${process.env['PATH']}`, FAKE_AZ_LOG: log, FAKE_AZ_GRANTED: grantedFile, ...flags },
    encoding: 'utf8',
  });
  const posts = readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => line.includes('--method POST'))
    .map((line) => {
      assert.ok(line.includes(`--url https://graph.microsoft.com/v1.0/servicePrincipals/${BOT}/appRoleAssignments`), line);
      return JSON.parse(/--body (\{.*\})$/.exec(line)![1]!) as Record<string, string>;
    });
  return { output, posts };
}

test('a default deployment grants Directory.Read.All to the bot on Microsoft Graph, and nothing else', { skip: jqMissing }, () => {
  const { posts, output } = run({}, []);
  assert.deepEqual(posts, [{ principalId: BOT, resourceId: GRAPH_SP, appRoleId: idOf('Directory.Read.All') }]);
  assert.match(output, /granted: Directory\.Read\.All/);
});

test('the flags add their permissions, and a permission already granted on Graph is skipped', { skip: jqMissing }, () => {
  const { posts, output } = run({ IDWARDEN_ENABLE_EMAIL: 'true', IDWARDEN_ENABLE_GRAPH_APP_ROLE_REMEDIATION: 'true' }, [
    { resourceId: GRAPH_SP, appRoleId: idOf('Directory.Read.All').toUpperCase() },
    // The same app-role id on another API is not a Graph grant.
    { resourceId: OTHER_RESOURCE, appRoleId: idOf('Mail.Send') },
  ]);
  assert.deepEqual(
    posts.map((post) => post['appRoleId']),
    [idOf('Mail.Send'), idOf('AppRoleAssignment.ReadWrite.All')],
  );
  assert.match(output, /already granted: Directory\.Read\.All/);
});

test('a flag set to anything but true grants nothing more', { skip: jqMissing }, () => {
  const { posts } = run({ IDWARDEN_ENABLE_EMAIL: 'yes', IDWARDEN_ENABLE_GRAPH_APP_ROLE_REMEDIATION: 'false' }, []);
  assert.deepEqual(
    posts.map((post) => post['appRoleId']),
    [idOf('Directory.Read.All')],
  );
});
