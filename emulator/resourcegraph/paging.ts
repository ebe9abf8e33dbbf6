import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * ARG's `$skipToken`: opaque to clients; here the offset of the next page plus a fingerprint of the
 * query and its scopes, so a token replayed with another query is refused instead of paging nonsense.
 */
const TokenSchema = z.strictObject({ offset: z.number().int().nonnegative(), query: z.string() });

export const queryFingerprint = (...parts: unknown[]) => createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);

export function encodeSkipToken(offset: number, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ offset, query: fingerprint })).toString('base64');
}

export type SkipTokenVerdict = { ok: true; offset: number } | { ok: false; reason: string };

export function decodeSkipToken(token: string, fingerprint: string): SkipTokenVerdict {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch {
    return { ok: false, reason: 'the $skipToken is not one this service issued' };
  }
  const parsed = TokenSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: 'the $skipToken is not one this service issued' };
  if (parsed.data.query !== fingerprint) return { ok: false, reason: 'the $skipToken was issued for a different query or scope' };
  return { ok: true, offset: parsed.data.offset };
}
