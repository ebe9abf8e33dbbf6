import type { TokenCredential } from '@azure/identity';
import { z } from 'zod';
import { ARM_SCOPE } from './clients.ts';

const claims = z.object({ oid: z.string(), tid: z.string() });

/**
 * The bot's own object id and tenant, read from the claims of the ARM token its credential obtains.
 * Nothing is verified here: the token came from our own credential, and only its identity is read.
 */
export async function whoAmI(credential: TokenCredential): Promise<{ principalId: string; tenantId: string }> {
  const token = await credential.getToken(ARM_SCOPE);
  if (!token) throw new Error('the credential returned no token for Azure Resource Manager');
  const payload = token.token.split('.')[1];
  const parsed = claims.safeParse(payload ? JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) : undefined);
  if (!parsed.success) throw new Error('the ARM access token carries no oid/tid claims');
  return { principalId: parsed.data.oid.toLowerCase(), tenantId: parsed.data.tid.toLowerCase() };
}
