import { z } from 'zod';
import { AzureApiError, type AzureCallContext } from './errors.ts';

/**
 * Checks an API response against the shape the bot depends on. A mismatch is a failed lookup
 * (code `UnexpectedResponse`), never data to guess from.
 */
export function parseResponse<T extends z.ZodType>(schema: T, value: unknown, context: AzureCallContext): z.output<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new AzureApiError(
    { ...context, statusCode: undefined, code: 'UnexpectedResponse', requestId: undefined, correlationId: undefined },
    `the response does not have the expected shape:\n${z.prettifyError(parsed.error)}`,
  );
}
