import { CLIENT_TIMEOUT, isRequestTimeout } from './timeout.ts';

/**
 * One error type for every failed Azure call, whichever SDK made it: core-rest-pipeline's RestError (ARM clients),
 * ms-rest-js's RestError (Resource Graph 4.x) and the Graph client's GraphError. Callers branch on `statusCode`
 * and `code` (the ARM or Graph error code) through the helpers below, never on message text.
 */

export type AzureService = 'arm' | 'graph' | 'resource-graph';

/** What the bot was doing when the call failed; becomes part of the error. */
export interface AzureCallContext {
  service: AzureService;
  /** SDK-style operation name, e.g. `roleAssignments.listForScope` or `directoryObjects.getByIds`. */
  operation: string;
  subscriptionId?: string;
  /** The object the call was about: a scope, an ARM id or a directory object id. */
  target?: string;
}

export interface AzureApiErrorFields extends AzureCallContext {
  /** HTTP status; absent when no response arrived (network, credential) or the response could not be read. */
  statusCode: number | undefined;
  /** ARM error code (`AuthorizationFailed`, `RoleAssignmentNotFound` ...), Graph error code (`Request_ResourceNotFound` ...), or the transport/credential error's code. */
  code: string | undefined;
  /** `x-ms-request-id` (ARM) or Graph's `request-id`: what Microsoft support asks for. */
  requestId: string | undefined;
  /** `x-ms-correlation-request-id` (ARM) or Graph's `client-request-id`. */
  correlationId: string | undefined;
}

export class AzureApiError extends Error implements AzureApiErrorFields {
  override readonly name = 'AzureApiError';
  readonly service: AzureService;
  readonly operation: string;
  readonly statusCode: number | undefined;
  readonly code: string | undefined;
  readonly requestId: string | undefined;
  readonly correlationId: string | undefined;
  readonly subscriptionId: string | undefined;
  readonly target: string | undefined;

  constructor(fields: AzureApiErrorFields, detail: string, options: { cause?: unknown } = {}) {
    const status = [fields.statusCode, fields.code].filter((part) => part !== undefined).join(' ');
    const ids = fields.requestId ? ` (request id ${fields.requestId})` : '';
    super(scrubSecrets(`${SERVICE_LABELS[fields.service]} ${fields.operation} failed${status ? ` with ${status}` : ''}: ${detail}${ids}`), options);
    this.service = fields.service;
    this.operation = fields.operation;
    this.statusCode = fields.statusCode;
    this.code = fields.code;
    this.requestId = fields.requestId;
    this.correlationId = fields.correlationId;
    this.subscriptionId = fields.subscriptionId;
    this.target = fields.target;
  }
}

const SERVICE_LABELS: Record<AzureService, string> = { arm: 'ARM', graph: 'Microsoft Graph', 'resource-graph': 'Resource Graph' };

const GENERIC_NAMES = new Set(['Error', 'RestError', 'GraphError']);

/** The fields the three SDKs' errors share in spirit; read structurally, since each SDK has its own class. */
interface SdkErrorShape {
  name?: unknown;
  message?: unknown;
  stack?: unknown;
  statusCode?: unknown;
  code?: unknown;
  /** GraphError only: from the body's innerError. */
  requestId?: unknown;
  /** GraphError: response headers. */
  headers?: unknown;
  /** RestError (both pipelines): the response, with its headers. */
  response?: { headers?: unknown };
}

/** Maps whatever an SDK threw to an AzureApiError, by status and error code. */
export function toAzureApiError(error: unknown, context: AzureCallContext): AzureApiError {
  if (error instanceof AzureApiError) return error;
  const shape: SdkErrorShape = typeof error === 'object' && error !== null ? error : { message: String(error) };
  const headers = shape.response?.headers ?? shape.headers;
  const isGraph = context.service === 'graph';
  const statusCode = typeof shape.statusCode === 'number' && shape.statusCode > 0 ? shape.statusCode : undefined;
  // Without a response, a credential failure's class name is the best code there is (TokenUnavailableError ...).
  const code = isRequestTimeout(error) ? CLIENT_TIMEOUT : nonEmpty(shape.code) ?? (statusCode === undefined && !GENERIC_NAMES.has(String(shape.name)) ? nonEmpty(shape.name) : undefined);
  const requestId = isGraph ? (nonEmpty(shape.requestId) ?? headerValue(headers, 'request-id')) : headerValue(headers, 'x-ms-request-id');
  const correlationId = headerValue(headers, isGraph ? 'client-request-id' : 'x-ms-correlation-request-id');
  const detail = nonEmpty(shape.message) ?? 'no error message';
  return new AzureApiError({ ...context, statusCode, code, requestId, correlationId }, detail, { cause: scrubbedCopy(shape) });
}

/** Runs one SDK call and rethrows its failure as an AzureApiError. */
export async function callAzure<T>(context: AzureCallContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toAzureApiError(error, context);
  }
}

export const isNotFound = (error: unknown): error is AzureApiError => statusOf(error) === 404;
export const isThrottled = (error: unknown): error is AzureApiError => statusOf(error) === 429;
/** 403: the caller is known but lacks the permission (ARM `AuthorizationFailed`, Graph `Authorization_RequestDenied`). */
export const isAuthorizationFailure = (error: unknown): error is AzureApiError => statusOf(error) === 403;
/** 401: the token was missing, expired, for the wrong audience or otherwise refused. */
export const isAuthenticationFailure = (error: unknown): error is AzureApiError => statusOf(error) === 401;

/** The object, or undefined when the service says 404; any other failure propagates. */
export async function orGone<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

const statusOf = (error: unknown) => (error instanceof AzureApiError ? error.statusCode : undefined);

const REDACTIONS: [RegExp, string][] = [
  // JWTs (access tokens) wherever they appear.
  [/eyJ[\w-]*\.[\w-]+\.[\w-]*/g, '[REDACTED]'],
  // Bearer credentials in header dumps or messages.
  [/\b(bearer)\s+[^\s"',;]+/gi, '$1 [REDACTED]'],
  // Header or JSON fields that carry secrets: `authorization: ...`, `"access_token":"..."`, `x-identity-header=...`.
  [/("?(?:authorization|access_token|refresh_token|client_secret|x-identity-header|secret)"?\s*[:=]\s*"?)[^"\r\n,&}]+/gi, '$1[REDACTED]'],
];

/** Removes tokens and credential headers from text that may end up in a log or an error message. */
export function scrubSecrets(text: string): string {
  return REDACTIONS.reduce((scrubbed, [pattern, replacement]) => scrubbed.replace(pattern, replacement), text);
}

/**
 * The SDK errors keep the request, Authorization header included; only a copy with the diagnostic
 * fields travels on as `cause`, so logging an AzureApiError can never print a token.
 */
function scrubbedCopy(shape: SdkErrorShape): Error {
  const copy = new Error(scrubSecrets(nonEmpty(shape.message) ?? ''));
  copy.name = nonEmpty(shape.name) ?? 'Error';
  copy.stack = typeof shape.stack === 'string' ? scrubSecrets(shape.stack) : copy.stack;
  return Object.assign(copy, {
    ...(typeof shape.statusCode === 'number' ? { statusCode: shape.statusCode } : {}),
    ...(nonEmpty(shape.code) ? { code: nonEmpty(shape.code) } : {}),
  });
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  const get = (headers as { get?: unknown }).get;
  if (typeof get === 'function') return nonEmpty(get.call(headers, name));
  return nonEmpty((headers as Record<string, unknown>)[name]);
}

const nonEmpty = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);
