import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deliverWithRetry, retryDelay, DELIVERY_RETRY, type DeliveryAttempt, type DeliveryFailure } from '../../src/actions/notify/delivery.ts';
import { RateLimiter, TEAMS_RATE } from '../../src/actions/notify/rate-limiter.ts';
import { redactWebhook, teamsWebhookFrom } from '../../src/actions/notify/teams.ts';
import { FakeClock } from '../support/alerts.ts';

const failure = (overrides: Partial<DeliveryFailure> = {}): DeliveryFailure => ({
  ok: false,
  status: 503,
  code: undefined,
  reason: 'unavailable',
  retryable: true,
  retryAfterMs: undefined,
  ...overrides,
});

test('the Teams limiter holds 4 sends a second and 60 in 30 seconds, waiting on its clock instead of dropping', async () => {
  const clock = new FakeClock();
  const limiter = new RateLimiter(TEAMS_RATE, clock);
  const start = clock.now();
  const sentAt: number[] = [];
  for (let i = 0; i < 70; i += 1) {
    await limiter.acquire();
    sentAt.push(clock.now() - start);
  }
  assert.deepEqual(sentAt.slice(0, 5), [0, 0, 0, 0, 1000], 'the fifth send of a second waits for the window');
  for (const [index, at] of sentAt.entries()) {
    assert.ok(sentAt.filter((other) => other > at - 1000 && other <= at).length <= 4, `more than 4 in the second ending at send ${index}`);
    assert.ok(sentAt.filter((other) => other > at - 30_000 && other <= at).length <= 60, `more than 60 in the 30 s ending at send ${index}`);
  }
  assert.equal(sentAt[60], 30_000, 'the 61st send waits until the first leaves the 30 s window');
});

test('Retry-After is honoured exactly; other retryable failures back off 1, 2, 4 s; attempts are bounded', () => {
  assert.equal(retryDelay(1, failure({ status: 429, retryAfterMs: 7000 })), 7000);
  assert.equal(retryDelay(1, failure({ status: 429, retryAfterMs: 0 })), 0);
  assert.deepEqual([1, 2, 3].map((attempts) => retryDelay(attempts, failure(), () => 1)), [1000, 2000, 4000]);
  assert.deepEqual([1, 2, 3].map((attempts) => retryDelay(attempts, failure(), () => 0)), [500, 1000, 2000]);
  assert.equal(retryDelay(DELIVERY_RETRY.maxAttempts, failure()), undefined);
  assert.equal(retryDelay(1, failure({ status: 401, retryable: false })), undefined, 'a wrong signature is not retried');
});

test('deliverWithRetry retries through the limiter until success, and gives up on a wait longer than a run allows', async () => {
  const clock = new FakeClock();
  const answers: DeliveryAttempt[] = [failure({ status: 429, retryAfterMs: 2000 }), failure({ status: 502 }), { ok: true, status: 202 }];
  const result = await deliverWithRetry(async () => answers.shift()!, { clock, limiter: new RateLimiter(TEAMS_RATE, clock), random: () => 1 });
  assert.deepEqual(result, { attempt: { ok: true, status: 202 }, attempts: 3 });
  assert.deepEqual(clock.waits, [2000, 2000], 'Retry-After first, then the second backoff step');

  const patient = new FakeClock();
  let calls = 0;
  const gaveUp = await deliverWithRetry(
    async () => {
      calls += 1;
      return failure({ status: 429, code: 'WorkflowRequestsThrottled', reason: 'throttled', retryAfterMs: 600_000 });
    },
    { clock: patient, limiter: new RateLimiter(TEAMS_RATE, patient) },
  );
  assert.equal(calls, 1);
  assert.equal(gaveUp.attempt.ok, false);
  assert.match((gaveUp.attempt as DeliveryFailure).reason, /^throttled \(the service asked to retry after 600 s, longer than the 60 s an alert run waits\)$/);
  assert.deepEqual(patient.waits, []);
});

test('the webhook URL comes from the app setting the policy names; problems are named without the value', () => {
  const secret = 'https://prod-00.westeurope.logic.azure.com:443/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=Zm9vYmFyc2VjcmV0c2lnbmF0dXJlMDEyMzQ1Njc4OQ';
  const found = teamsWebhookFrom('TEAMS_WEBHOOK_URL', { TEAMS_WEBHOOK_URL: ` ${secret} ` });
  assert.ok(found.ok);
  assert.equal(found.webhook.url.host, 'prod-00.westeurope.logic.azure.com');

  const reasons = [
    teamsWebhookFrom('TEAMS_WEBHOOK_URL', {}),
    teamsWebhookFrom('TEAMS_WEBHOOK_URL', { TEAMS_WEBHOOK_URL: 'not a url sig=abc' }),
    teamsWebhookFrom('TEAMS_WEBHOOK_URL', { TEAMS_WEBHOOK_URL: secret.replace('https:', 'http:') }),
    teamsWebhookFrom('TEAMS_WEBHOOK_URL', { TEAMS_WEBHOOK_URL: 'https://contoso.webhook.office.com/webhookb2/0000/IncomingWebhook/1111/2222' }),
  ].map((lookup) => (lookup.ok ? assert.fail('expected a refusal') : lookup.reason));
  assert.match(reasons[0]!, /^app setting TEAMS_WEBHOOK_URL \(notify.teams.webhookUrlSetting\) is not set$/);
  assert.match(reasons[1]!, /does not hold a URL/);
  assert.match(reasons[2]!, /must hold an https URL/);
  assert.match(reasons[3]!, /Office 365 connector webhook, which Microsoft retired/);
  for (const reason of reasons) assert.ok(!/sig=|workflows\/|webhookb2|IncomingWebhook/.test(reason), reason);
});

test('redactWebhook removes the URL in any form, its path, its signature and its workflow id', () => {
  const url = new URL('https://prod-00.westeurope.logic.azure.com:443/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=c2VjcmV0LXNpZw');
  const text = `POST ${url.href} failed; decoded ${decodeURIComponent(url.href)}; path ${url.pathname}; sig c2VjcmV0LXNpZw; workflow 0123456789abcdef0123456789abcdef`;
  const redacted = redactWebhook(text, url);
  assert.ok(!redacted.includes('c2VjcmV0LXNpZw'), redacted);
  assert.ok(!redacted.includes('0123456789abcdef0123456789abcdef'), redacted);
  assert.ok(!redacted.includes('/triggers/manual'), redacted);
  assert.match(redacted, /^POST \[REDACTED\] failed; decoded \[REDACTED\]; path \[REDACTED\]; sig \[REDACTED\]; workflow \[REDACTED\]$/);
});
