import { z } from 'zod';
import { EmulatorHttpError } from '../server/errors.ts';
import type { EmulatorRequest } from '../server/exchange.ts';
import { parseScope } from '../state/ids.ts';
import { normalizeLocation } from '../state/tenant.ts';

/** Request-body rules every tracked ARM resource shares (user-assigned identities, generic resources). */

export const Tags = z.record(z.string(), z.string());

/** ARM refuses a PUT without a location before looking at anything else in the body. */
export function requireLocation(req: EmulatorRequest): string {
  const location = (req.body as { location?: unknown } | undefined)?.location;
  if (typeof location !== 'string' || location.trim() === '') {
    throw new EmulatorHttpError(400, 'LocationRequired', 'The location property is required for this definition.');
  }
  return location;
}

/** A resource never moves: writing it again in another location is ARM's 400 InvalidResourceLocation. */
export function requireSameLocation(existing: { id: string; location: string }, location: string): void {
  if (normalizeLocation(existing.location) === normalizeLocation(location)) return;
  const parsed = parseScope(existing.id);
  throw new EmulatorHttpError(
    400,
    'InvalidResourceLocation',
    `The resource '${parsed?.name ?? existing.id}' already exists in location '${existing.location}' in resource group '${parsed?.resourceGroup ?? ''}'. A resource with the same name cannot be created in location '${location}'. Please select a new resource name.`,
  );
}
