import { z } from 'zod';
import { AzureApiError, type AzureCallContext } from './errors.ts';

/**
 * No field the bot reads from Azure comes near this many characters (names, ids, ABAC conditions, descriptions are
 * all a few thousand at most). A longer string is a broken or hostile answer: kept, it would not fit the finding
 * store (a table property holds 32 Ki characters) and would fail every run that recorded it.
 */
export const MAX_STRING_LENGTH = 32_768;

/**
 * Checks an API response against the shape the bot depends on. A mismatch is a failed lookup
 * (code `UnexpectedResponse`), never data to guess from.
 */
export function parseResponse<T extends z.ZodType>(schema: T, value: unknown, context: AzureCallContext): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw unexpectedResponse(context, `the response does not have the expected shape:\n${z.prettifyError(parsed.error)}`);
  const outsized = outsizedString(parsed.data);
  if (outsized) throw unexpectedResponse(context, `the response has a string of ${outsized.length} characters at ${outsized.path || '(root)'} (at most ${MAX_STRING_LENGTH} expected)`);
  return parsed.data;
}

/** A response the bot cannot use (wrong shape, or about something it did not ask for): a failed lookup. */
export function unexpectedResponse(context: AzureCallContext, detail: string): AzureApiError {
  return new AzureApiError({ ...context, statusCode: undefined, code: 'UnexpectedResponse', requestId: undefined, correlationId: undefined }, detail);
}

/**
 * The path to the first string (value or key) longer than MAX_STRING_LENGTH in what the schema kept. The path is
 * built only on the way back from a find: every response passes through here, and almost none has one.
 */
function outsizedString(value: unknown): { path: string; length: number } | undefined {
  if (typeof value === 'string') return value.length > MAX_STRING_LENGTH ? { path: '', length: value.length } : undefined;
  if (typeof value !== 'object' || value === null || value instanceof Date) return undefined;
  const isArray = Array.isArray(value);
  for (const [key, member] of Object.entries(value)) {
    const step = isArray ? `[${key}]` : key.slice(0, 40);
    if (key.length > MAX_STRING_LENGTH) return { path: step, length: key.length };
    const found = outsizedString(member);
    if (found) return { path: found.path === '' || found.path.startsWith('[') ? `${step}${found.path}` : `${step}.${found.path}`, length: found.length };
  }
  return undefined;
}
