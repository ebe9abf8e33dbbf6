import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { smallTenant } from '../support/seeds.ts';
import { SUB_PROD, UAMI_PRINCIPAL } from '../support/ids.ts';

/**
 * Reports escape everything that comes from Azure: a tenant whose subscription, custom role, group, identities and
 * orphaned principals carry HTML, Markdown and spreadsheet-formula payloads in their names, scanned by the real CLI
 * (`idwarden scan --emulator --seed`), gives HTML with no live markup, Markdown with no link, image, HTML or code-span
 * break-out, and CSV with no cell a spreadsheet would run as a formula.
 */

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

const SCRIPT = '<script>alert(1)</script>';
const ATTRIBUTE_BREAKOUT = '"><img src=x onerror=alert(1)>';
const SVG = "'><svg onload=alert(2)>";
const MARKDOWN = '[click me](https://evil.example) ![x](https://evil.example/x.png) **bold** @contoso/admins #1 | col | <b>b</b> www.evil.example';
const FORMULAS = ['=HYPERLINK("https://evil.example","click")', '+SUM(1,2)', '-2+3', '@SUM(1)', '\t=1+1', '\r=1+1'];
const RG = `/subscriptions/${SUB_PROD}/resourceGroups/rg-app`;

const base = smallTenant();
const orphans = [ATTRIBUTE_BREAKOUT, MARKDOWN, ...FORMULAS].map((displayName, index) => ({
  id: `0bad0000-0000-4000-8000-${String(index + 1).padStart(12, '0')}`,
  displayName,
  servicePrincipalType: 'ManagedIdentity' as const,
  // The resource id a managed identity names comes from Azure too: a backtick and a link try to leave the code span.
  alternativeNames: ['isExplicit=False', `${RG}/providers/Microsoft.Web/sites/gone-${index}\`](https://evil.example) <i>x</i>`],
}));
const HOSTILE_GROUP = 'a0b00000-0000-4000-8000-000000000001';
const HOSTILE_ROLE = 'a0c00000-0000-4000-8000-000000000001';
const seed = smallTenant({
  subscriptions: base.subscriptions!.map((subscription) => (subscription.subscriptionId === SUB_PROD ? { ...subscription, displayName: SCRIPT } : subscription)),
  userAssignedIdentities: [
    ...base.userAssignedIdentities!,
    // Unattached and old: a finding about it, titled with its name.
    { id: `${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-${SVG}`, createdAt: '2026-01-01T00:00:00Z' },
    { id: `${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-<img src=x onerror=alert(3)>`, createdAt: '2026-01-01T00:00:00Z' },
  ],
  servicePrincipals: [...base.servicePrincipals!, ...orphans],
  roleDefinitions: [{ id: HOSTILE_ROLE, roleName: SCRIPT, assignableScopes: [`/subscriptions/${SUB_PROD}`], permissions: [{ actions: ['*'], notActions: [], dataActions: [], notDataActions: [] }] }],
  groups: [{ id: HOSTILE_GROUP, displayName: ATTRIBUTE_BREAKOUT, members: [UAMI_PRINCIPAL], isAssignableToRole: false }],
  roleAssignments: [
    ...base.roleAssignments!,
    { scope: RG, role: SCRIPT, principalId: UAMI_PRINCIPAL, principalType: 'ServicePrincipal' },
    { scope: `/subscriptions/${SUB_PROD}`, role: 'Owner', principalId: HOSTILE_GROUP, principalType: 'Group' },
  ],
});
const seedFile = join(mkdtempSync(join(tmpdir(), 'idwarden-hostile-')), 'hostile.json');
writeFileSync(seedFile, JSON.stringify(seed, null, 2));

async function scan(format: 'html' | 'markdown' | 'csv'): Promise<string> {
  const { stdout } = await run(process.execPath, [join(ROOT, 'bin', 'idwarden.js'), 'scan', '--emulator', '--seed', seedFile, '--format', format, '--as-of', '2026-11-20T12:00:00Z'], {
    cwd: ROOT,
    maxBuffer: 32 * 1024 * 1024,
  });
  return stdout;
}

const [html, markdown, csv] = await Promise.all([scan('html'), scan('markdown'), scan('csv')]);
const [csvHeader, ...csvRows] = parseCsv(csv);

test('the hostile names reach the findings (else the escaping checks below would prove nothing)', () => {
  assert.ok(!markdown.includes('Incomplete'), 'the scan read everything');
  const ruleColumn = csvHeader!.indexOf('ruleId');
  const fired = (ruleId: string, text: string) =>
    assert.ok(
      csvRows.some((row) => row[ruleColumn] === ruleId && row.some((cell) => cell.includes(text))),
      `${ruleId} about ${JSON.stringify(text)}`,
    );
  fired('custom-role-wildcard', SCRIPT);
  fired('privileged-group-membership', ATTRIBUTE_BREAKOUT);
  fired('unattached-user-assigned-identity', 'uami-<img src=x onerror=alert(3)>');
  for (const orphan of orphans) fired('orphaned-identity-principal', orphan.displayName);
});

test('HTML: every name is text; no tag, attribute or URL from Azure is live', () => {
  // The report's own markup uses none of these: any occurrence came from Azure unescaped.
  for (const tag of ['<script', '<img', '<svg', '<iframe', '<b>', '<i>']) assert.ok(!html.toLowerCase().includes(tag), `no ${tag} in the HTML`);
  assert.doesNotMatch(html, /<[^>]*\son\w+\s*=/i, 'no event-handler attribute in any tag');
  assert.doesNotMatch(html, /<a\s/i, 'no link');
  for (const escaped of ['&lt;script&gt;alert(1)&lt;/script&gt;', '&quot;&gt;&lt;img src=x onerror=alert(1)&gt;', '[click me](https://evil.example)', '=HYPERLINK(&quot;https://evil.example&quot;,&quot;click&quot;)']) {
    assert.ok(html.includes(escaped), `shown as text: ${escaped}`);
  }
  // Whatever slips through, the page allows no script, image or frame to load.
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">/);
});

test('Markdown: no HTML, link, image, emphasis, code span, mention or autolink from Azure', () => {
  const tables = markdown.split('\n').filter((line) => line.startsWith('|'));
  assert.ok(tables.length > orphans.length, 'findings and identities are tabulated');
  for (const line of tables) {
    assert.doesNotMatch(line, /(?<!\\)</, `an unescaped < starts HTML: ${line}`);
    assert.doesNotMatch(line, /(?<!\\)!?\[[^\]]*\]\(/, `a link or image: ${line}`);
    assert.doesNotMatch(line, /:\/\/|www\./, `a bare URL GitHub would autolink: ${line}`);
    assert.doesNotMatch(line, /@contoso/, `a mention: ${line}`);
    assert.doesNotMatch(line, /(?<!\\)\*\*/, `emphasis: ${line}`);
    assert.doesNotMatch(line, /(?<!\\)`/, `a code span an id could close early: ${line}`);
    // Every cell boundary is a real one: rows keep their column count whatever the names hold.
    const cells = line.split(/(?<!\\)\|/).length - 2;
    assert.ok(cells === 5 || cells === 8, `${cells} cells: ${line}`);
  }
});

test('CSV: every cell quoted, no cell a spreadsheet would evaluate', () => {
  const body = csvRows;
  assert.ok(body.length > orphans.length);
  assert.ok(csv.split('\n')[1]!.startsWith('"'), 'cells are quoted');
  for (const row of body) {
    assert.equal(row.length, csvHeader!.length, `row keeps its columns: ${row.join(' | ')}`);
    for (const cell of row) assert.doesNotMatch(cell, /^[=+\-@\t\r]/, `a formula cell: ${JSON.stringify(cell)}`);
  }
  for (const formula of FORMULAS) assert.ok(body.some((row) => row.includes(`'${formula}`)), `${JSON.stringify(formula)} kept as text behind an apostrophe`);
});

/** RFC 4180: quoted cells, doubled quotes, newlines inside quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') (cell += '"'), index++;
      else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') row.push(cell), (cell = '');
    else if (char === '\n') row.push(cell), rows.push(row), (row = []), (cell = '');
    else cell += char;
  }
  if (cell !== '' || row.length > 0) row.push(cell), rows.push(row);
  return rows;
}
