import { z } from 'zod';
import watchedOperationsFile from '../../infra/data/watched-operations.json' with { type: 'json' };

/**
 * The ARM operations the bot processes from Event Grid, read from infra/data/watched-operations.json: the same
 * file the infrastructure builds the event subscription's filter from, so the handler and the filter cannot drift.
 */

/** Event Grid's limit: 25 advanced-filter values in total per event subscription. */
export const EVENT_GRID_FILTER_VALUE_LIMIT = 25;

/** The success event Azure publishes for each kind of ARM operation. */
export const SUCCESS_EVENT_TYPES = {
  write: 'Microsoft.Resources.ResourceWriteSuccess',
  delete: 'Microsoft.Resources.ResourceDeleteSuccess',
  action: 'Microsoft.Resources.ResourceActionSuccess',
} as const;

export type OperationVerb = keyof typeof SUCCESS_EVENT_TYPES;

export const OBJECT_KINDS = ['roleAssignment', 'roleDefinition', 'userAssignedIdentity', 'identityHolder'] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];

/** `Namespace.Name/type[/subtype...]/write|delete|action`, e.g. `Microsoft.Web/sites/slots/write`. */
const OPERATION_NAME = /^([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)+(?:\/[A-Za-z][A-Za-z0-9]*)+)\/(write|delete|action)$/;

/** The resource type each specific kind is about; `identityHolder` is any other type. */
const TYPE_OF_KIND: Partial<Record<ObjectKind, string>> = {
  roleAssignment: 'microsoft.authorization/roleassignments',
  roleDefinition: 'microsoft.authorization/roledefinitions',
  userAssignedIdentity: 'microsoft.managedidentity/userassignedidentities',
};

export interface ParsedOperationName {
  /** `Microsoft.Web/sites/slots` */
  resourceType: string;
  verb: OperationVerb;
}

/** What a watched operation did to its object: actions are refused when the file is read. */
export type ObjectChange = Exclude<OperationVerb, 'action'>;

/** Splits an operation name into resource type and verb; null when it is not one. */
export function parseOperationName(operationName: string): ParsedOperationName | null {
  const match = OPERATION_NAME.exec(operationName);
  return match ? { resourceType: match[1]!, verb: match[2] as OperationVerb } : null;
}

const WatchedOperationSchema = z.strictObject({
  operationName: z.string().regex(OPERATION_NAME, 'expected Namespace/type/write, /delete or /action, e.g. Microsoft.Web/sites/write'),
  eventTypes: z.array(z.enum([SUCCESS_EVENT_TYPES.write, SUCCESS_EVENT_TYPES.delete, SUCCESS_EVENT_TYPES.action])).min(1),
  objectKind: z.enum(OBJECT_KINDS),
  why: z.string().min(1),
});

export type WatchedOperation = z.infer<typeof WatchedOperationSchema> & { resourceType: string; verb: ObjectChange };

const WatchedOperationsFileSchema = z
  .strictObject({
    description: z.string().min(1),
    operations: z.array(WatchedOperationSchema).min(1).max(EVENT_GRID_FILTER_VALUE_LIMIT, `Event Grid allows at most ${EVENT_GRID_FILTER_VALUE_LIMIT} advanced-filter values`),
    notWatched: z.array(z.strictObject({ what: z.string().min(1), why: z.string().min(1) })).default([]),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.operations.forEach((operation, index) => {
      const parsed = parseOperationName(operation.operationName);
      if (!parsed) return;
      const issue = (message: string, key: string) => ctx.addIssue({ code: 'custom', path: ['operations', index, key], message });
      const key = operation.operationName.toLowerCase();
      if (seen.has(key)) issue(`${operation.operationName} is listed twice (Event Grid compares case-insensitively)`, 'operationName');
      seen.add(key);
      const expected = SUCCESS_EVENT_TYPES[parsed.verb];
      if (operation.eventTypes.length !== 1 || operation.eventTypes[0] !== expected) issue(`a ${parsed.verb} operation is published as ${expected} only`, 'eventTypes');
      const kindType = TYPE_OF_KIND[operation.objectKind];
      const type = parsed.resourceType.toLowerCase();
      if (kindType !== undefined && type !== kindType) issue(`${operation.objectKind} operations are on ${kindType}, not ${parsed.resourceType}`, 'objectKind');
      if (kindType === undefined && Object.values(TYPE_OF_KIND).includes(type)) issue(`${parsed.resourceType} has its own object kind`, 'objectKind');
      // An action (restart, listKeys ...) creates no identity and no assignment; the event path has nothing to judge in one.
      if (parsed.verb === 'action') issue('actions change no identity or role assignment: watch writes and deletes', 'operationName');
    });
  });

/** Checks a watched-operations document; throws a ZodError listing every problem. */
export function parseWatchedOperations(document: unknown): WatchedOperation[] {
  return WatchedOperationsFileSchema.parse(document).operations.map((operation) => {
    const { resourceType, verb } = parseOperationName(operation.operationName)!;
    // The file's check refuses actions, so every verb here is a write or a delete.
    return { ...operation, resourceType, verb: verb as ObjectChange };
  });
}

export const watchedOperations: readonly WatchedOperation[] = parseWatchedOperations(watchedOperationsFile);

const byName = new Map(watchedOperations.map((operation) => [operation.operationName.toLowerCase(), operation]));

/** The watched entry for an operation name (case-insensitive, as Event Grid's filter compares). */
export function watchedOperation(operationName: string): WatchedOperation | undefined {
  return byName.get(operationName.toLowerCase());
}

export function isWatched(operationName: string): boolean {
  return byName.has(operationName.toLowerCase());
}
