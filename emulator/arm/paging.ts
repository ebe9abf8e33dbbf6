import { EmulatorHttpError } from '../server/errors.ts';
import type { EmulatorRequest } from '../server/exchange.ts';
import { encodeQuery, queryParam } from './query.ts';

/**
 * How many items one ARM list page holds, per surface. Tests lower these to force paging; the
 * defaults follow ARM where it is known (resource lists page at 1000, role definitions come whole).
 */
export interface ArmPageSizes {
  roleAssignments: number;
  roleDefinitions: number;
  userAssignedIdentities: number;
  resources: number;
  resourceGroups: number;
  subscriptions: number;
  managementGroups: number;
}

export const defaultArmPageSizes = (): ArmPageSizes => ({
  roleAssignments: 100,
  roleDefinitions: 1000,
  userAssignedIdentities: 100,
  resources: 1000,
  resourceGroups: 1000,
  subscriptions: 100,
  managementGroups: 100,
});

/** Authorization pages with `$skipToken`; Microsoft.ManagedIdentity and Microsoft.Resources with `$skiptoken`. */
export type SkipTokenName = '$skipToken' | '$skiptoken';

export interface ArmPage<T> {
  value: T[];
  nextLink?: string;
}

/**
 * One page of a list. The next link is absolute (the SDKs follow it verbatim and add nothing) and
 * carries every query parameter of the request, so api-version and $filter survive paging.
 */
export function paginate<T>(req: EmulatorRequest, items: readonly T[], pageSize: number, tokenName: SkipTokenName): ArmPage<T> {
  const offset = readSkipToken(req);
  const end = offset + pageSize;
  const value = items.slice(offset, end);
  return end < items.length ? { value, nextLink: nextLink(req, tokenName, encodeSkipToken(end)) } : { value };
}

function nextLink(req: EmulatorRequest, tokenName: SkipTokenName, token: string): string {
  const parameters = [...req.query].filter(([key]) => key.toLowerCase() !== tokenName.toLowerCase());
  parameters.push([tokenName, token]);
  return `${req.baseUrl}${req.path}?${encodeQuery(parameters)}`;
}

const encodeSkipToken = (offset: number) => Buffer.from(JSON.stringify({ offset }), 'utf8').toString('base64url');

function readSkipToken(req: EmulatorRequest): number {
  const token = queryParam(req, '$skipToken');
  if (token === undefined) return 0;
  try {
    const { offset } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { offset?: unknown };
    if (typeof offset === 'number' && Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // fall through to the error below
  }
  throw new EmulatorHttpError(400, 'InvalidSkipToken', `The skip token '${token}' is not valid. Use the nextLink of the previous page as it was returned.`);
}

/** `$top` sets the page size of Microsoft.Resources lists (resources, resource groups). */
export function topPageSize(req: EmulatorRequest, fallback: number): number {
  const top = queryParam(req, '$top');
  if (top === undefined) return fallback;
  const value = Number(top);
  if (!Number.isInteger(value) || value < 1) throw new EmulatorHttpError(400, 'InvalidTopValue', `The value '${top}' of $top is not a positive integer.`);
  return value;
}
