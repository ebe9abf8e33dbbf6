import type { EmulatorRequest, EmulatorResponse, Service } from './exchange.ts';

/** Thrown by routes and state; rendered in the body shape of the service that was called. */
export class EmulatorHttpError extends Error {
  override readonly name = 'EmulatorHttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** An operation or query option the emulator does not implement: said plainly, never answered with a guess. */
export class NotImplementedByEmulator extends EmulatorHttpError {
  constructor(what: string) {
    super(501, 'NotImplementedByEmulator', `The idwarden emulator does not implement ${what}.`);
  }
}

/** ARM's common ErrorResponse: { error: { code, message } }. */
function armBody(error: EmulatorHttpError): unknown {
  return { error: { code: error.code, message: error.message } };
}

/** Microsoft Graph's error: { error: { code, message, innerError: { date, request-id, client-request-id } } }. */
function graphBody(error: EmulatorHttpError, req: EmulatorRequest): unknown {
  const clientRequestId = req.headers['client-request-id'];
  return {
    error: {
      code: error.code,
      message: error.message,
      innerError: {
        date: req.receivedAt.toISOString().slice(0, 19),
        'request-id': req.requestId,
        'client-request-id': typeof clientRequestId === 'string' ? clientRequestId : req.requestId,
      },
    },
  };
}

/** The token endpoints answer like Entra: { error, error_description }. */
function tokenBody(error: EmulatorHttpError): unknown {
  return { error: error.code, error_description: error.message };
}

/** GitHub's REST error: { message, documentation_url, status }; a body that is not JSON reads "Problems parsing JSON". */
function githubBody(error: EmulatorHttpError): unknown {
  const message = error.code === 'InvalidRequestContent' ? 'Problems parsing JSON' : error.message;
  return { message, documentation_url: 'https://docs.github.com/rest', status: String(error.status) };
}

/** Azure DevOps' VSS service error: the exception's message, type name and key. */
function devOpsBody(error: EmulatorHttpError): unknown {
  return { $id: '1', innerException: null, message: error.message, typeName: `${error.code}, idwarden emulator`, typeKey: error.code, errorCode: 0, eventId: 3000 };
}

export function renderError(error: EmulatorHttpError, req: EmulatorRequest): EmulatorResponse {
  const bodies: Record<Service, () => unknown> = {
    arm: () => armBody(error),
    control: () => armBody(error),
    graph: () => graphBody(error, req),
    token: () => tokenBody(error),
    github: () => githubBody(error),
    devops: () => devOpsBody(error),
  };
  return { status: error.status, headers: error.headers, body: bodies[req.service]() };
}
