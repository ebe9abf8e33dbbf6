import { canonicalScope, scopeLevel } from '../rules/arm-scope.ts';
import type { ArmEvent } from './schema.ts';
import { SUCCESS_EVENT_TYPES, watchedOperation, type ObjectChange, type ObjectKind } from './watched-operations.ts';

/**
 * Which object an ARM event is about, from its operation name and resource id alone (pure). The event is only a
 * hint that the object changed; what it looks like now is read live afterwards.
 */
export type AffectedObject = { kind: ObjectKind; id: string; change: ObjectChange } | { kind: 'ignored'; reason: string };

export type JudgeableObject = Exclude<AffectedObject, { kind: 'ignored' }>;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/**
 * What no ARM id holds, yet would change the request an SDK builds from it: a query or fragment (the client moves it
 * into the query string), a backslash, an encoded slash or backslash, or a `.` / `..` segment (URL parsing resolves it),
 * each making the bot read another object than the one it then judges.
 */
const NOT_AN_ARM_ID = /[?#\\]|%(2f|5c)|(^|\/)\.{1,2}(\/|$)/i;
const AUTHORIZATION_CHILD = /^(.*)\/providers\/Microsoft\.Authorization\/(roleAssignments|roleDefinitions)\/([^/]+)$/i;

/**
 * The resource type an ARM id names (`/…/providers/Microsoft.Web/sites/a/slots/b` → `Microsoft.Web/sites/slots`), from its
 * last provider segment; null when the id names no resource.
 */
export function resourceTypeOfId(id: string): string | null {
  const segments = canonicalScope(id).split('/');
  const providers = segments.map((segment) => segment.toLowerCase()).lastIndexOf('providers');
  const rest = segments.slice(providers + 1);
  if (providers < 0 || rest.length < 3 || rest.length % 2 === 0) return null;
  return [rest[0], ...rest.slice(1).filter((_, position) => position % 2 === 0)].join('/');
}

/** Why an id does not name an object of this kind; null when it does. */
function problemWithId(kind: ObjectKind, id: string, resourceType: string): string | null {
  if (kind === 'roleAssignment' || kind === 'roleDefinition') {
    const match = AUTHORIZATION_CHILD.exec(id);
    const expectedType = kind === 'roleAssignment' ? 'roleassignments' : 'roledefinitions';
    if (!match || match[2]!.toLowerCase() !== expectedType) return `is not a ${kind} id`;
    if (!GUID.test(match[3]!)) return `does not end in a GUID`;
    // Role definitions live at the root or a subscription; assignments at any scope: both prefixes must be scopes.
    if (match[1] !== '' && scopeLevel(match[1]!) === null) return `has no valid scope before /providers/Microsoft.Authorization`;
    return null;
  }
  if (scopeLevel(id) !== 'resource' || !/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\//i.test(id)) return 'is not a resource id in a resource group';
  const idType = resourceTypeOfId(id);
  if (idType?.toLowerCase() !== resourceType.toLowerCase()) return `names a ${idType ?? 'non-resource'}, not a ${resourceType}`;
  return null;
}

export function affectedObject(event: ArmEvent): AffectedObject {
  const watched = watchedOperation(event.operationName);
  if (!watched) return { kind: 'ignored', reason: `operation ${event.operationName} is not watched` };
  if (event.status.toLowerCase() !== 'succeeded' || !event.eventType.endsWith('Success')) {
    return { kind: 'ignored', reason: `the operation did not succeed (${event.eventType}, status ${event.status})` };
  }
  if (event.eventType.toLowerCase() !== SUCCESS_EVENT_TYPES[watched.verb].toLowerCase()) {
    return { kind: 'ignored', reason: `${event.eventType} does not match operation ${event.operationName}` };
  }
  const id = canonicalScope(event.resourceUri);
  if (NOT_AN_ARM_ID.test(id)) return { kind: 'ignored', reason: `resource id ${event.resourceUri} is not an ARM id (query, fragment, backslash, encoded slash or dot segment)` };
  const problem = problemWithId(watched.objectKind, id, watched.resourceType);
  if (problem) return { kind: 'ignored', reason: `resource id ${event.resourceUri} ${problem}` };
  return { kind: watched.objectKind, id, change: watched.verb };
}
