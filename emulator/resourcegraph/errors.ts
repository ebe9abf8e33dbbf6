import { json, type EmulatorRequest, type EmulatorResponse } from '../server/exchange.ts';
import type { KqlError } from './kql/errors.ts';

/**
 * Resource Graph's 400: `{ error: { code: "BadRequest", message: "Please provide below info ...", details: [...] } }`.
 * A refused query leads with ARG's own InvalidQuery detail, then one detail naming what was refused and where.
 */
export interface ResourceGraphErrorDetail {
  code: string;
  message: string;
  line?: number;
  characterPositionInLine?: number;
  token?: string;
}

export function resourceGraphError(req: EmulatorRequest, details: ResourceGraphErrorDetail[]): EmulatorResponse {
  return json(400, {
    error: {
      code: 'BadRequest',
      message: `Please provide below info when asking for support: timestamp = ${req.receivedAt.toISOString()}, correlationId = ${req.requestId}.`,
      details,
    },
  });
}

export function invalidQuery(req: EmulatorRequest, error: KqlError): EmulatorResponse {
  return resourceGraphError(req, [
    { code: 'InvalidQuery', message: 'Query is invalid. Please refer to the documentation for the Azure Resource Graph service and fix the error before retrying.' },
    { code: error.code, message: error.message, line: error.position.line, characterPositionInLine: error.position.column, token: error.token },
  ]);
}
