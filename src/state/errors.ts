import { scrubSecrets } from '../azure/errors.ts';

/**
 * Every failed state-store call, whatever went wrong (a storage error response, a refused connection, a
 * conflict that would not settle, an entity too large to store): which table, which operation, and the
 * request id storage support asks for. Callers branch on `statusCode` and `code`, never on message text.
 */
export interface StateStoreErrorFields {
  table: string;
  operation: string;
  /** HTTP status; absent when no response arrived. */
  statusCode: number | undefined;
  /**
   * The storage error code (`TableNotFound`, `EntityAlreadyExists`, `UpdateConditionNotSatisfied` ...), a socket
   * error code (`ECONNREFUSED`), or one of ours (`ConcurrencyConflict`, `EntityTooLarge`).
   */
  code: string | undefined;
  /** `x-ms-request-id` of the failed response. */
  requestId: string | undefined;
}

export class StateStoreError extends Error implements StateStoreErrorFields {
  override readonly name = 'StateStoreError';
  readonly table: string;
  readonly operation: string;
  readonly statusCode: number | undefined;
  readonly code: string | undefined;
  readonly requestId: string | undefined;

  constructor(fields: StateStoreErrorFields, detail: string, options: { cause?: unknown } = {}) {
    const status = [fields.statusCode, fields.code].filter((part) => part !== undefined).join(' ');
    const ids = fields.requestId ? ` (request id ${fields.requestId})` : '';
    super(scrubStorageSecrets(`Table '${fields.table}' ${fields.operation} failed${status ? ` with ${status}` : ''}: ${detail}${ids}`), options);
    this.table = fields.table;
    this.operation = fields.operation;
    this.statusCode = fields.statusCode;
    this.code = fields.code;
    this.requestId = fields.requestId;
  }
}

/** What @azure/data-tables' RestError carries: the storage error code sits in `details`, not in `code`. */
interface TablesErrorShape {
  name?: unknown;
  message?: unknown;
  stack?: unknown;
  statusCode?: unknown;
  code?: unknown;
  details?: { errorCode?: unknown; 'x-ms-request-id'?: unknown; odataError?: { code?: unknown; message?: { value?: unknown } } };
  response?: { headers?: { get?: (name: string) => string | undefined } };
}

export function toStateStoreError(error: unknown, context: { table: string; operation: string }): StateStoreError {
  if (error instanceof StateStoreError) return error;
  const shape: TablesErrorShape = typeof error === 'object' && error !== null ? error : { message: String(error) };
  const statusCode = typeof shape.statusCode === 'number' && shape.statusCode > 0 ? shape.statusCode : undefined;
  const code = text(shape.details?.errorCode) ?? text(shape.details?.odataError?.code) ?? text(shape.code);
  const requestId = text(shape.details?.['x-ms-request-id']) ?? text(shape.response?.headers?.get?.('x-ms-request-id'));
  // The service's own sentence, without the RequestId/Time lines it appends (the request id is reported once, above).
  const serviceMessage = text(shape.details?.odataError?.message?.value)?.split('\n')[0];
  const detail = serviceMessage ?? text(shape.message) ?? 'no error message';
  return new StateStoreError({ ...context, statusCode, code, requestId }, detail, { cause: scrubbedCopy(shape) });
}

/** Account keys and SAS signatures, on top of the bearer tokens `scrubSecrets` already removes. */
function scrubStorageSecrets(value: string): string {
  return scrubSecrets(value)
    .replace(/(AccountKey|SharedAccessSignature)=[^;\s"']+/gi, '$1=[REDACTED]')
    .replace(/([?&]sig=)[^&\s"']+/gi, '$1[REDACTED]')
    .replace(/\b(SharedKey(?:Lite)? [^:\s]+:)[^\s"',]+/g, '$1[REDACTED]');
}

/** The SDK error keeps the request with its Authorization header; only a scrubbed copy travels on as `cause`. */
function scrubbedCopy(shape: TablesErrorShape): Error {
  const copy = new Error(scrubStorageSecrets(text(shape.message) ?? ''));
  copy.name = text(shape.name) ?? 'Error';
  copy.stack = typeof shape.stack === 'string' ? scrubStorageSecrets(shape.stack) : copy.stack;
  return copy;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);
