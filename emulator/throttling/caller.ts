import type { TokenIssuer } from '../identity/tokens.ts';
import { header, type EmulatorRequest } from '../server/exchange.ts';
import type { ThrottledCaller } from './throttling.ts';

/**
 * The caller a throttling limit is kept for, read from the bearer token before the dispatcher authenticates.
 * A missing or invalid token names no one: that request is not metered and gets its 401 from the dispatcher.
 */
export function callerFromToken(req: EmulatorRequest, tokens: TokenIssuer, tenantId: string): ThrottledCaller | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(header(req, 'authorization') ?? '');
  if (!bearer) return undefined;
  const verdict = tokens.verify(bearer[1]!, tenantId);
  return verdict.ok ? { principalId: verdict.claims.oid, appId: verdict.claims.appid, tenantId: verdict.claims.tid } : undefined;
}
