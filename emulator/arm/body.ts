import type { z } from 'zod';
import { EmulatorHttpError } from '../server/errors.ts';
import type { EmulatorRequest } from '../server/exchange.ts';

/** A request body checked against its schema; ARM answers a malformed one with 400 InvalidRequestContent. */
export function parseArmBody<T>(schema: z.ZodType<T>, req: EmulatorRequest): T {
  const result = schema.safeParse(req.body ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ');
  throw new EmulatorHttpError(400, 'InvalidRequestContent', `The request content was invalid and could not be deserialized: ${problems}.`);
}
