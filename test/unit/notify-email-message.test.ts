import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarize } from '../../src/actions/notify/digest.ts';
import { digestEmail, findingEmail, EMAIL_DIGEST_ROWS } from '../../src/actions/notify/email-message.ts';
import { alertFinding, manyAlertItems } from '../support/alerts.ts';

const HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'&';

test('a finding email escapes everything from Azure: a <script> name is text, and only the portal and ticket are links', () => {
  const email = findingEmail({
    finding: alertFinding({ title: `Owner for ${HOSTILE}`, description: HOSTILE, principalDisplayName: HOSTILE, roleName: HOSTILE }),
    actor: { displayName: HOSTILE },
    ticketUrl: 'https://github.com/contoso/cloud-governance/issues/42?x="><script>',
  });
  assert.ok(!email.html.includes('<script>'));
  assert.ok(!email.html.includes('<img'));
  assert.ok(email.html.includes('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&quot;&#39;&amp;'));
  const hrefs = [...email.html.matchAll(/href="([^"]*)"/g)].map((match) => match[1]);
  assert.deepEqual(hrefs, [
    'https://portal.azure.com/#@72f988bf-0000-4000-8000-000000000001/resource/subscriptions/11111111-1111-4111-8111-111111111111/users',
    'https://github.com/contoso/cloud-governance/issues/42?x=%22%3E%3Cscript%3E',
  ]);
  assert.equal(email.subject, `[idwarden] High: Owner for ${HOSTILE}`, 'the subject is plain text: Graph sends it as such');
});

test('a subject stays one line whatever the title holds', () => {
  const email = findingEmail({ finding: alertFinding({ title: 'line one\r\nBcc: evil@example.com\u0007' }) });
  assert.equal(email.subject, '[idwarden] High: line one Bcc: evil@example.com');
});

test('a digest email counts every finding, lists the most severe 100 and says how many more', () => {
  const email = digestEmail(summarize(manyAlertItems(500), EMAIL_DIGEST_ROWS), { kind: 'sweep', id: 'run-7' });
  assert.match(email.subject, /^\[idwarden\] 500 findings need attention: \d+ critical, \d+ high, \d+ medium, \d+ low$/);
  const counted = [...email.subject.matchAll(/(\d+) (critical|high|medium|low)/g)].reduce((sum, match) => sum + Number(match[1]), 0);
  assert.equal(counted, 500);
  assert.equal((email.html.match(/<tr valign="top">/g) ?? []).length, EMAIL_DIGEST_ROWS);
  assert.ok(email.html.includes("…and 400 more in the run's report."));
  assert.ok(email.html.includes('From one idwarden sweep (run-7)'));
});
