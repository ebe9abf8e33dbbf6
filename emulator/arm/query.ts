import { NotImplementedByEmulator } from '../server/errors.ts';
import type { EmulatorRequest } from '../server/exchange.ts';

/** A query parameter by name, ignoring case (ARM treats `$skipToken` and `$skiptoken` alike). */
export function queryParam(req: EmulatorRequest, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of req.query) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/** A query string the way ARM writes one: keys literal (`$filter`, `api-version`), values percent-encoded. */
export const encodeQuery = (parameters: Iterable<[string, string]>) =>
  [...parameters].map(([key, value]) => `${key}=${encodeURIComponent(value)}`).join('&');

/**
 * Refuses OData `$` options an operation does not implement, by name. ARM would apply them, so
 * ignoring one would answer with the wrong data; saying so is the honest gap (501).
 */
export function allowQueryOptions(req: EmulatorRequest, operation: string, supported: readonly string[]): void {
  const allowed = new Set(supported.map((option) => option.toLowerCase()));
  for (const key of req.query.keys()) {
    if (key.startsWith('$') && !allowed.has(key.toLowerCase())) {
      throw new NotImplementedByEmulator(`the query option '${key}' on ${operation}`);
    }
  }
}
