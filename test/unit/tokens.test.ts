import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Clock } from '../../emulator/state/clock.ts';
import { TokenIssuer } from '../../emulator/identity/tokens.ts';

const TENANT = '72f988bf-0000-4000-8000-000000000001';

test('a minted token verifies; tampering, another issuer or the passage of time break it', () => {
  const clock = new Clock();
  clock.set(new Date('2026-11-23T12:00:00Z'));
  const issuer = new TokenIssuer(clock);
  const { token, claims } = issuer.mint({ principalId: 'p1', tenantId: TENANT, audience: 'https://management.azure.com', lifetimeSeconds: 600 });
  assert.deepEqual(issuer.verify(token, TENANT), { ok: true, claims });

  const [header, , signature] = token.split('.') as [string, string, string];
  const forged = Buffer.from(JSON.stringify({ ...claims, oid: 'attacker' })).toString('base64url');
  assert.equal(issuer.verify(`${header}.${forged}.${signature}`, TENANT).ok, false);
  assert.deepEqual(issuer.verify('not-a-jwt', TENANT), { ok: false, reason: 'malformed', detail: 'not a JWT' });
  assert.equal((issuer.verify(token, '00000000-0000-4000-8000-000000000000') as { reason: string }).reason, 'issuer');
  assert.equal(new TokenIssuer(clock).verify(token, TENANT).ok, false, 'another key pair must not verify it');

  clock.advance(601 * 1000);
  assert.equal((issuer.verify(token, TENANT) as { reason: string }).reason, 'expired');
});

test('unsigned (alg none) tokens are refused', () => {
  const issuer = new TokenIssuer(new Clock());
  const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify({ oid: 'x', exp: 9999999999 })).toString('base64url');
  assert.equal((issuer.verify(`${header}.${payload}.`, TENANT) as { reason: string }).reason, 'signature');
});
