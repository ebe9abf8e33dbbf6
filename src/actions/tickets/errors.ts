import { scrubSecrets } from '../../azure/errors.ts';

export type TicketService = 'github' | 'azure-devops';

export interface TicketErrorFields {
  service: TicketService;
  /** What the bot was doing: `issues.create`, `workItems.update`, `configure` ... */
  operation: string;
  /** HTTP status; absent when no response arrived or the call never left (configuration, host pinning). */
  statusCode: number | undefined;
  /**
   * A stable code: GitHub's message as a word (`BadCredentials`, `NotFound`, `ValidationFailed`, `SecondaryRateLimit`),
   * Azure DevOps' `typeKey` (`UnauthorizedRequestException`, `RuleValidationException` ...), or one of ours
   * (`HostNotAllowed`, `Redirected`, `SignInRedirect`, `InvalidResponse`, `NetworkError`, `TokenSettingMissing`,
   * `KeyVaultReferenceUnresolved`, `InvalidConfiguration`).
   */
  code: string;
  /** GitHub's `x-github-request-id` or Azure DevOps' `ActivityId`: what each service's support asks for. */
  requestId: string | undefined;
  /** Set when the service throttled the call: how long it asked the bot to wait. */
  retryAfterMs?: number | undefined;
}

const SERVICE_LABELS: Record<TicketService, string> = { github: 'GitHub', 'azure-devops': 'Azure DevOps' };

/** Every failed ticket call, whichever service: callers branch on `code` and `statusCode`, never on message text. */
export class TicketError extends Error implements TicketErrorFields {
  override readonly name = 'TicketError';
  readonly service: TicketService;
  readonly operation: string;
  readonly statusCode: number | undefined;
  readonly code: string;
  readonly requestId: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(fields: TicketErrorFields, detail: string, options: { cause?: unknown } = {}) {
    const status = [fields.statusCode, fields.code].filter((part) => part !== undefined).join(' ');
    const ids = fields.requestId ? ` (request id ${fields.requestId})` : '';
    super(scrubTicketSecrets(`${SERVICE_LABELS[fields.service]} ${fields.operation} failed with ${status}: ${detail}${ids}`), options);
    this.service = fields.service;
    this.operation = fields.operation;
    this.statusCode = fields.statusCode;
    this.code = fields.code;
    this.requestId = fields.requestId;
    this.retryAfterMs = fields.retryAfterMs;
  }

  /** The service refused for load, not for the request: worth another run later. */
  get throttled(): boolean {
    return this.retryAfterMs !== undefined;
  }
}

/** GitHub token shapes (classic, fine-grained, OAuth, app installation, refresh), on top of bearer tokens and JWTs. */
export function scrubTicketSecrets(text: string): string {
  return scrubSecrets(text).replace(/\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g, '[REDACTED]');
}
