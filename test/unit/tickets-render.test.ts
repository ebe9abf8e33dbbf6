import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ticketFinding } from '../support/tickets.ts';
import { htmlText, markdownCode, markdownCodeBlock, markdownText } from '../../src/actions/tickets/escape.ts';
import { htmlBody, markdownBody, portalLink, ticketTitle } from '../../src/actions/tickets/render.ts';
import { findingDigest } from '../../src/actions/tickets/digest.ts';
import { githubMarker, nextLink } from '../../src/actions/tickets/github-issues.ts';
import { assertFingerprint } from '../../src/actions/tickets/tracker.ts';

const WJ = '\u2060';
const HOSTILE = '<img src=x onerror=alert(1)> **boss** [click](https://evil.example) @contoso/admins #1 ![i](x) ~~s~~ | $x$ &amp; `c`';

test('Markdown text: inline syntax is escaped, mentions, references and autolinks are broken, one line', () => {
  assert.equal(markdownText('<img src=x>'), '\\<img src=x\\>');
  assert.equal(markdownText('**boss** [a](b) ![i](x) ~~s~~ a|b $x$ &amp; `c` \\'), '\\*\\*boss\\*\\* \\[a\\](b) \\!\\[i\\](x) \\~\\~s\\~\\~ a\\|b \\$x\\$ \\&amp; \\`c\\` \\\\');
  assert.equal(markdownText('@contoso/admins'), `@${WJ}contoso/admins`);
  assert.equal(markdownText('#1'), `\\#${WJ}1`);
  assert.equal(markdownText('see https://evil.example or www.evil.example'), `see https:${WJ}//evil.example or www${WJ}.evil.example`);
  assert.equal(markdownText('- item'), '\\- item');
  assert.equal(markdownText('12) item'), '12\\) item');
  assert.equal(markdownText('a\nb\r\n# c'), `a b \\#${WJ} c`);
  assert.equal(markdownText('Contributor, at subscription scope (prod).'), 'Contributor, at subscription scope (prod).', 'ordinary prose stays readable');
});

test('Markdown code: the fence outgrows any backticks inside', () => {
  assert.equal(markdownCode('/subscriptions/x'), '`/subscriptions/x`');
  assert.equal(markdownCode('a`b'), '``a`b``');
  assert.equal(markdownCode('`x'), '`` `x ``');
  assert.equal(markdownCodeBlock('{"a":"```"}', 'json'), '````json\n{"a":"```"}\n````');
});

test('a GitHub body keeps hostile names as text: no HTML, link, mention or heading of theirs; marker last', () => {
  const finding = ticketFinding({ principalDisplayName: HOSTILE, description: `# ${HOSTILE}`, evidence: { note: '```\n# not a heading' } });
  const marker = githubMarker(finding.id, findingDigest(finding));
  const body = markdownBody(finding, marker);
  assert.ok(!/(^|[^\\])<img/m.test(body), 'no raw HTML');
  assert.ok(!/(^|[^\\])\[click\]\(/.test(body), 'no link of theirs');
  assert.ok(!/@contoso/.test(body), 'no mention');
  assert.deepEqual(
    body.split('\n').filter((line) => line.startsWith('#')),
    ['### Decision', '### Evidence', '### Links'],
    'the only headings are ours (the evidence is inside a longer fence)',
  );
  assert.match(body, /\n````json\n/);
  assert.equal(body.split('\n').at(-1), marker);
  assert.match(body, /^- \*\*Principal:\*\* \\<img src=x onerror=alert\(1\)\\> /m);
});

test('an Azure DevOps description escapes every value as HTML', () => {
  const finding = ticketFinding({ principalDisplayName: HOSTILE, scope: '/subscriptions/x/resourceGroups/"><script>' });
  const body = htmlBody(finding, 'idwarden-digest:0123');
  assert.ok(!body.includes('<img') && !body.includes('<script'), 'no markup of theirs');
  assert.ok(body.includes(htmlText(HOSTILE)));
  assert.ok(body.includes('<code>/subscriptions/x/resourceGroups/&quot;&gt;&lt;script&gt;</code>'));
  assert.match(body, /href="https:\/\/portal\.azure\.com\/#@[^"]+\/resource\/subscriptions\/x\/resourceGroups\/%22%3E%3Cscript%3E"/);
  assert.ok(body.endsWith('idwarden-digest:0123</p>'));
});

test('portal links encode each segment; titles carry the severity and fit 255 characters', () => {
  assert.equal(portalLink('t', '/subscriptions/s/resourceGroups/rg (1)'), 'https://portal.azure.com/#@t/resource/subscriptions/s/resourceGroups/rg%20(1)');
  assert.equal(portalLink('t', '/providers/Microsoft.Management/managementGroups/mg'), 'https://portal.azure.com/#@t/resource/providers/Microsoft.Management/managementGroups/mg');
  assert.equal(portalLink('t', '/'), undefined);
  assert.equal(portalLink('t', 'https://evil.example'), undefined);
  assert.equal(ticketTitle(ticketFinding({ severity: 'critical', title: 'x\ny' })), '[idwarden] Critical: x y');
  const long = ticketTitle(ticketFinding({ title: 'a'.repeat(400) }));
  assert.equal(long.length, 255);
  assert.ok(long.endsWith('…'));
});

test('the digest follows the problem, not when or how it was seen', () => {
  const finding = ticketFinding({ evidence: { scopeLevel: 'subscription', ageDays: 3, daysSinceSignIn: 100 } });
  const digest = findingDigest(finding);
  assert.match(digest, /^[0-9a-f]{32}$/);
  const seenAgain = {
    ...finding,
    detectedAt: '2027-01-01T00:00:00.000Z',
    source: 'event' as const,
    description: 'reworded',
    decision: { action: 'remediate' as const, dryRun: true },
    evidence: { daysSinceSignIn: 140, ageDays: 43, scopeLevel: 'subscription' },
  };
  assert.equal(findingDigest(seenAgain), digest);
  assert.notEqual(findingDigest({ ...finding, severity: 'critical' }), digest);
  assert.notEqual(findingDigest({ ...finding, roleName: 'Owner' }), digest);
  assert.notEqual(findingDigest({ ...finding, evidence: { ...finding.evidence, scopeLevel: 'managementGroup' } }), digest);
});

test('Link headers: the next target, commas in URLs included; fingerprints must have the finding-id shape', () => {
  assert.equal(nextLink('<https://api.github.com/repositories/1/issues?labels=a,b&page=2>; rel="next", <https://api.github.com/repositories/1/issues?page=5>; rel="last"'), 'https://api.github.com/repositories/1/issues?labels=a,b&page=2');
  assert.equal(nextLink('<https://x/issues?page=1>; rel="prev"'), undefined);
  assert.equal(nextLink(null), undefined);
  assert.doesNotThrow(() => assertFingerprint('stale-identity:0123456789abcdef0123'));
  assert.throws(() => assertFingerprint('stale-identity:0123 --> <b>'), TypeError);
});
