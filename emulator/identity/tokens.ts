import { createPublicKey, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import type { Clock } from '../state/clock.ts';

/** The claims the emulator puts in, and reads back from, an access token. */
export interface TokenClaims {
  aud: string;
  iss: string;
  iat: number;
  nbf: number;
  exp: number;
  oid: string;
  sub: string;
  tid: string;
  appid?: string;
  idtyp: 'app' | 'user';
  uti: string;
  ver: '1.0';
  xms_mirid?: string;
}

export interface MintRequest {
  principalId: string;
  tenantId: string;
  audience: string;
  appId?: string;
  kind?: 'app' | 'user';
  /** ARM id of the managed identity (system- or user-assigned), as Entra puts it in xms_mirid. */
  managedIdentityResourceId?: string;
  lifetimeSeconds?: number;
}

export type TokenVerdict =
  | { ok: true; claims: TokenClaims }
  | { ok: false; reason: 'malformed' | 'signature' | 'expired' | 'not-yet-valid' | 'issuer'; detail: string };

const base64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');

/**
 * Mints and checks RS256 JWTs with a key pair made at start-up, as Entra would for a managed identity.
 * Audience checks belong to each service (ARM and Graph accept different audiences).
 */
export class TokenIssuer {
  private readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly keyId = randomUUID();

  constructor(private readonly clock: Clock) {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = pair.privateKey;
    this.publicKey = createPublicKey(pair.privateKey);
  }

  mint(request: MintRequest): { token: string; claims: TokenClaims } {
    const now = Math.floor(this.clock.now().getTime() / 1000);
    const claims: TokenClaims = {
      aud: request.audience,
      iss: issuerFor(request.tenantId),
      iat: now,
      nbf: now - 300,
      exp: now + (request.lifetimeSeconds ?? 3600),
      oid: request.principalId,
      sub: request.principalId,
      tid: request.tenantId,
      ...(request.appId ? { appid: request.appId } : {}),
      idtyp: request.kind ?? 'app',
      uti: base64url(randomUUID()).slice(0, 22),
      ver: '1.0',
      ...(request.managedIdentityResourceId ? { xms_mirid: request.managedIdentityResourceId } : {}),
    };
    const headerPart = base64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', kid: this.keyId }));
    const payloadPart = base64url(JSON.stringify(claims));
    const signature = sign('sha256', Buffer.from(`${headerPart}.${payloadPart}`), this.privateKey);
    return { token: `${headerPart}.${payloadPart}.${base64url(signature)}`, claims };
  }

  verify(token: string, tenantId: string): TokenVerdict {
    const parts = token.split('.');
    if (parts.length !== 3) return { ok: false, reason: 'malformed', detail: 'not a JWT' };
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    let header: { alg?: unknown };
    let claims: TokenClaims;
    try {
      header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, reason: 'malformed', detail: 'header or payload is not base64url JSON' };
    }
    if (header.alg !== 'RS256') return { ok: false, reason: 'signature', detail: `alg ${String(header.alg)} is not accepted` };
    const signed = verify('sha256', Buffer.from(`${headerPart}.${payloadPart}`), this.publicKey, Buffer.from(signaturePart, 'base64url'));
    if (!signed) return { ok: false, reason: 'signature', detail: 'signature does not verify' };
    if (claims.iss !== issuerFor(tenantId)) return { ok: false, reason: 'issuer', detail: `issuer ${claims.iss} is not this tenant's` };
    const now = Math.floor(this.clock.now().getTime() / 1000);
    if (typeof claims.exp !== 'number' || claims.exp <= now) {
      return { ok: false, reason: 'expired', detail: `expired at ${new Date((claims.exp ?? 0) * 1000).toISOString()}` };
    }
    if (typeof claims.nbf === 'number' && claims.nbf > now) return { ok: false, reason: 'not-yet-valid', detail: 'nbf is in the future' };
    return { ok: true, claims };
  }
}

export const issuerFor = (tenantId: string) => `https://sts.windows.net/${tenantId}/`;
