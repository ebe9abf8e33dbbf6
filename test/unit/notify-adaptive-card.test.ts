import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AdaptiveCardSchema, describeIssues, WorkflowMessageSchema } from '../../emulator/sinks/adaptive-card.ts';
import { digestCard, findingCard, teamsMessage, DIGEST_ROWS, type AdaptiveCard, type CardElement } from '../../src/actions/notify/adaptive-card.ts';
import { escapeCardMarkdown } from '../../src/actions/notify/card-markdown.ts';
import { summarize } from '../../src/actions/notify/digest.ts';
import { TEAMS_MESSAGE_LIMIT_BYTES } from '../../src/actions/notify/teams.ts';
import { alertFinding, manyAlertItems } from '../support/alerts.ts';

const HOSTILE = '<script>alert(1)</script> [x](http://evil) **bold** _it_ `code` # head | pipe & amp; ![img](http://evil/i.png)';

/** Every card must pass the subset schema written from the Adaptive Card sources, inside the Workflows envelope. */
function assertValidCard(card: AdaptiveCard): void {
  const parsed = AdaptiveCardSchema.safeParse(card);
  assert.ok(parsed.success, parsed.success ? '' : describeIssues(parsed.error).join('\n'));
  const message = WorkflowMessageSchema.safeParse(teamsMessage(card));
  assert.ok(message.success, message.success ? '' : describeIssues(message.error).join('\n'));
}

/** Every string Teams renders as Markdown: TextBlock text, Fact title and value. */
function renderedTexts(elements: readonly CardElement[]): string[] {
  return elements.flatMap((element): string[] => {
    switch (element.type) {
      case 'TextBlock':
        return [element.text];
      case 'FactSet':
        return element.facts.flatMap((fact) => [fact.title, fact.value]);
      case 'Container':
        return renderedTexts(element.items);
      case 'ColumnSet':
        return element.columns.flatMap((column) => renderedTexts(column.items));
    }
  });
}

const factsOf = (card: AdaptiveCard) =>
  Object.fromEntries(card.body.flatMap((element) => (element.type === 'FactSet' ? element.facts.map((fact) => [fact.title, fact.value]) : [])));

/** Markdown syntax a renderer would act on: a special character not preceded by a backslash. */
const LIVE_SYNTAX = /(?<!\\)(?:\\\\)*[[\]()*_`<>#|!&~]/;
const unescape = (text: string) => text.replace(/\\([\\`*_~[\]()<>#|!&{}+\-.])/g, '$1');

test('one finding makes one schema-valid card: what, who, where, the decision, and links to the portal and the ticket', () => {
  const finding = alertFinding();
  const card = findingCard({ finding, ticketUrl: 'https://github.com/contoso/cloud-governance/issues/42' });
  assertValidCard(card);
  assert.equal(card.version, '1.4');
  const texts = renderedTexts(card.body);
  assert.ok(texts.includes('uami\\-app holds Owner at subscription scope') || texts.includes('uami-app holds Owner at subscription scope'));
  const facts = factsOf(card);
  assert.equal(unescape(facts['Principal']!), `uami-app (ServicePrincipal), ${finding.principalId}`);
  assert.equal(facts['Role'], 'Owner');
  assert.equal(unescape(facts['Scope']!), finding.scope);
  assert.equal(unescape(facts['Decision']!), 'Remediate (enforced)');
  assert.equal(unescape(facts['Finding']!), finding.id);
  assert.deepEqual(
    card.actions?.map((action) => [action.title, action.url]),
    [
      ['Open in Azure portal', `https://portal.azure.com/#@${finding.tenantId}/resource/subscriptions/${finding.subscriptionId}/users`],
      ['Open ticket', 'https://github.com/contoso/cloud-governance/issues/42'],
    ],
  );
});

test('who made the change comes from the event claims passed in; the decision names dry-run and exemptions', () => {
  const fromEvent = findingCard({
    finding: alertFinding({ source: 'event', decision: { action: 'remediate', dryRun: true } }),
    actor: { displayName: 'Ops Admin', userPrincipalName: 'ops.admin@contoso.example', principalId: 'ad000000-0000-4000-8000-000000000001', ipAddress: '203.0.113.7', at: '2026-11-20T11:59:00Z' },
  });
  assertValidCard(fromEvent);
  const facts = factsOf(fromEvent);
  assert.equal(unescape(facts['Changed by']!), 'Ops Admin (ops.admin@contoso.example, object id ad000000-0000-4000-8000-000000000001, from 203.0.113.7) at 2026-11-20T11:59:00Z');
  assert.equal(unescape(facts['Decision']!), 'Remediate (dry-run: nothing was changed)');
  assert.match(unescape(facts['Detected']!), /\(event\)$/);

  const exempt = factsOf(findingCard({ finding: alertFinding({ decision: { action: 'report', dryRun: false, exemption: { reason: 'deploy pipeline', approvedBy: 'secops@contoso.example', expires: '2027-03-31' } } }) }));
  assert.equal(unescape(exempt['Decision']!), 'Report only; exempt: deploy pipeline (approved by secops@contoso.example, until 2027-03-31)');
  assert.equal(factsOf(findingCard({ finding: alertFinding() }))['Changed by'], undefined, 'a sweep finding names no caller');
});

test('hostile names from Azure stay inert text: no link, no emphasis, no HTML, and nothing is lost', () => {
  const finding = alertFinding({ title: HOSTILE, description: `line one\n- list item\n1. numbered ${HOSTILE}`, principalDisplayName: HOSTILE, roleName: '[Owner](http://evil)', scope: '/subscriptions/x/resourceGroups/rg (evil)?x=#y' });
  const card = findingCard({ finding, actor: { displayName: '**Mallory** [click](http://evil)' } });
  assertValidCard(card);
  for (const text of renderedTexts(card.body)) {
    assert.doesNotMatch(text, LIVE_SYNTAX, `live Markdown in: ${text}`);
    assert.ok(!text.includes('<script>'), text);
  }
  const facts = factsOf(card);
  assert.equal(unescape(facts['Role']!), '[Owner](http://evil)', 'the text itself is kept');
  assert.equal(unescape(facts['Changed by']!), '**Mallory** [click](http://evil)');
  const portal = new URL(card.actions![0]!.url);
  assert.equal(portal.host, 'portal.azure.com');
  assert.ok(portal.hash.endsWith('/resourceGroups/rg%20(evil)%3Fx%3D%23y/users'), `ARM id segments are percent-encoded in the link: ${portal.hash}`);
  assert.equal(portal.search, '', 'a ? in a name cannot start a query');
});

test('escapeCardMarkdown: any text comes back as itself after Markdown unescaping and carries no live syntax', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme-ascii', maxLength: 80 }), (raw) => {
      const oneLine = raw.replace(/\s*[\r\n]+\s*/g, ' ');
      const escaped = escapeCardMarkdown(raw);
      assert.equal(unescape(escaped), oneLine);
      assert.doesNotMatch(escaped, LIVE_SYNTAX);
      assert.doesNotMatch(escaped, /^\s*(?:[-+]|\d+[.)])/, 'no list marker at the start');
    }),
    { numRuns: 300 },
  );
});

test('links go only to http(s): a javascript: ticket URL is dropped, not rewritten', () => {
  const card = findingCard({ finding: alertFinding(), ticketUrl: 'javascript:alert(1)' });
  assertValidCard(card);
  assert.deepEqual(card.actions?.map((action) => action.title), ['Open in Azure portal']);
  const noLinks = findingCard({ finding: alertFinding({ roleAssignmentId: undefined, identityResourceId: undefined, principalId: undefined }) });
  assertValidCard(noLinks);
  assert.equal(noLinks.actions, undefined, 'an empty actions array is left out');
});

test('one very long finding still fits a Teams message: Azure text is capped before it is escaped', () => {
  // A backslash is the costliest character: escaped it is two, and JSON doubles each.
  const huge = '\\'.repeat(100_000);
  const card = findingCard({ finding: alertFinding({ title: huge, description: huge, principalDisplayName: huge, scope: `/subscriptions/${huge}` }), actor: { displayName: huge } });
  assertValidCard(card);
  assert.ok(Buffer.byteLength(JSON.stringify(teamsMessage(card))) < TEAMS_MESSAGE_LIMIT_BYTES);
});

test('a digest of 500 findings: counts by severity and rule, the most severe first with links, "and 490 more", under 28 KB', () => {
  const items = manyAlertItems(500);
  const critical = items.filter((candidate) => candidate.finding.severity === 'critical');
  critical.forEach((item, index) => {
    if (index % 2 === 0) item.ticketUrl = 'https://dev.azure.com/contoso/SecOps/_workitems/edit/7';
  });
  const digest = summarize(items, DIGEST_ROWS);
  const card = digestCard(digest, { kind: 'sweep', id: 'run-1' });
  assertValidCard(card);
  assert.ok(Buffer.byteLength(JSON.stringify(teamsMessage(card))) < TEAMS_MESSAGE_LIMIT_BYTES);

  const [bySeverity, byRule] = card.body.filter((element) => element.type === 'FactSet');
  assert.deepEqual(bySeverity!.facts.map((fact) => fact.title), ['Critical', 'High', 'Medium', 'Low']);
  assert.equal(bySeverity!.facts.reduce((sum, fact) => sum + Number(fact.value), 0), 500);
  assert.equal(byRule!.facts.length, 5);
  assert.equal(byRule!.facts.reduce((sum, fact) => sum + Number(fact.value), 0), 500);

  const rows = card.body.filter((element) => element.type === 'ColumnSet');
  assert.equal(rows.length, DIGEST_ROWS);
  const severities = rows.map((row) => (row.columns[0]!.items[0] as { text: string }).text);
  assert.deepEqual(new Set(severities), new Set(['Critical']), 'the most severe are listed');
  const links = rows.map((row) => (row.columns[1]!.items[0] as { text: string }).text);
  assert.ok(links.every((link) => /^\[.+\]\(https:\/\/(portal|dev)\.azure\.com\/[^ ()]+\)$/.test(link)), links.join('\n'));
  assert.ok(links.some((link) => link.includes('(https://dev.azure.com/contoso/SecOps/_workitems/edit/7)')), 'a known ticket is the row link');
  assert.ok(links.some((link) => link.includes('(https://portal.azure.com/')), 'without a ticket the row links to the portal');
  assert.ok(renderedTexts(card.body).includes("…and 490 more in the run's report."));
});

test('a digest of the longest possible names lists fewer rows rather than exceed the Teams limit, and counts the rest', () => {
  const huge = '\\'.repeat(5_000);
  const items = manyAlertItems(50).map((item) => ({ finding: { ...item.finding, title: huge, principalDisplayName: huge, scope: `/subscriptions/${'x'.repeat(1_900)}` } }));
  const card = digestCard(summarize(items, DIGEST_ROWS), { kind: 'sweep' });
  assertValidCard(card);
  assert.ok(Buffer.byteLength(JSON.stringify(teamsMessage(card))) < TEAMS_MESSAGE_LIMIT_BYTES);
  const listed = card.body.filter((element) => element.type === 'ColumnSet').length;
  assert.ok(listed > 0 && listed < DIGEST_ROWS, `listed ${listed}`);
  assert.ok(renderedTexts(card.body).includes(`…and ${50 - listed} more in the run's report.`));
});

test('a digest that lists everything says so, and a hostile title in a digest row is still inert', () => {
  const items = manyAlertItems(4);
  items[0]!.finding.title = HOSTILE;
  const card = digestCard(summarize(items, DIGEST_ROWS), { kind: 'event-batch' });
  assertValidCard(card);
  const texts = renderedTexts(card.body);
  assert.ok(texts.includes('Findings'));
  assert.ok(!texts.some((text) => text.startsWith('…and')));
  const hostileRow = texts.find((text) => text.includes('\\<script\\>'))!;
  const linkText = /^\[(.*)\]\(https:\/\/[^ ()]+\)$/.exec(hostileRow)![1]!;
  assert.doesNotMatch(linkText, LIVE_SYNTAX);
  assert.equal(unescape(linkText), HOSTILE);
});
