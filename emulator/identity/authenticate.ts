import { EmulatorHttpError } from '../server/errors.ts';
import { header, type EmulatorRequest } from '../server/exchange.ts';
import type { Caller } from '../server/route.ts';
import type { TokenIssuer } from './tokens.ts';

const ARM_AUDIENCES = ['https://management.core.windows.net/', 'https://management.core.windows.net', 'https://management.azure.com/', 'https://management.azure.com'];
const GRAPH_AUDIENCES = ['https://graph.microsoft.com', 'https://graph.microsoft.com/', '00000003-0000-0000-c000-000000000000'];

/**
 * Bearer-token authentication for ARM and Graph, answering 401 with each service's own codes.
 * The token must be ours (signature), this tenant's (issuer), current (emulator clock) and for this service (audience).
 */
export function authenticate(req: EmulatorRequest, tokens: TokenIssuer, tenantId: string): Caller {
  const service = req.service === 'graph' ? 'graph' : 'arm';
  const authorization = header(req, 'authorization');
  if (!authorization) {
    throw service === 'arm'
      ? unauthorized('AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.", tenantId)
      : unauthorized('InvalidAuthenticationToken', 'Access token is empty.', tenantId);
  }
  const match = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (!match) {
    throw service === 'arm'
      ? unauthorized('AuthenticationFailed', "Authentication failed. The 'Authorization' header is provided in an invalid format.", tenantId)
      : unauthorized('InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.', tenantId);
  }
  const verdict = tokens.verify(match[1]!, tenantId);
  if (!verdict.ok) {
    if (verdict.reason === 'expired') {
      throw service === 'arm'
        ? unauthorized('ExpiredAuthenticationToken', `The access token expiry UTC time '${verdict.detail.replace('expired at ', '')}' is earlier than current UTC time '${req.receivedAt.toISOString()}'.`, tenantId)
        : unauthorized('InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.', tenantId);
    }
    throw service === 'arm'
      ? unauthorized('InvalidAuthenticationToken', `The access token is invalid (${verdict.detail}).`, tenantId)
      : unauthorized('InvalidAuthenticationToken', `Access token validation failure (${verdict.detail}).`, tenantId);
  }
  const { claims } = verdict;
  const allowed = service === 'arm' ? ARM_AUDIENCES : GRAPH_AUDIENCES;
  if (!allowed.includes(claims.aud)) {
    throw service === 'arm'
      ? unauthorized(
          'InvalidAuthenticationTokenAudience',
          `The access token has been obtained for wrong audience or resource '${claims.aud}'. It should exactly match with one of the allowed audiences '${ARM_AUDIENCES.join("','")}'.`,
          tenantId,
        )
      : unauthorized('InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.', tenantId);
  }
  return { principalId: claims.oid, appId: claims.appid, kind: claims.idtyp, claims };
}

function unauthorized(code: string, message: string, tenantId: string): EmulatorHttpError {
  return new EmulatorHttpError(401, code, message, {
    'www-authenticate': `Bearer authorization_uri="https://login.microsoftonline.com/${tenantId}", error="invalid_token", error_description="${code}"`,
  });
}
