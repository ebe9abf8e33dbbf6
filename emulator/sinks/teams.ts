import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { EmulatorHttpError } from '../server/errors.ts';
import { header, json, type EmulatorRequest, type EmulatorResponse } from '../server/exchange.ts';
import { path, type Route } from '../server/route.ts';
import { describeIssues, WorkflowMessageSchema } from './adaptive-card.ts';

/**
 * Microsoft Teams through a Workflows webhook: the trigger "When a Teams webhook request is received" of a flow built
 * from the template "Post to a channel when a webhook request is received". Its URL is a Logic Apps manual-trigger URL
 * whose SAS `sig` is the only secret:
 *   POST /workflows/{id}/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={sig}
 *
 * The trigger answers 202 Accepted with an empty body before the flow runs, so a card Teams cannot post never comes
 * back to the caller: it fails the run. The sink keeps each accepted request with the run's outcome (Succeeded, or
 * Failed with the reasons) so tests can assert both the exact payload and that Teams would have posted it.
 *
 * Refusals answer in the Logic Apps error shape { error: { code, message } }:
 * - no api-version 400 MissingApiVersionParameter; an unsupported one 400 InvalidApiVersionParameter;
 * - unknown workflow 404 WorkflowNotFound;
 * - no SAS parameters 401 DirectApiAuthorizationRequired; a wrong sig (or sp/sv) 401 DirectApiInvalidAuthorizationSignature;
 * - SAS plus an Authorization header 400 DirectApiRequestHasMoreThanOneAuthorization.
 * Throttling is injected on demand (fault rules on route `teams.workflow.invoke`, see `workflowThrottled`).
 * Not emulated: the Power Platform URL form (`/powerautomate/automations/direct/workflows/...`), OAuth-only triggers
 * ("Any user in my tenant"), turned-off flows (400 WorkflowTriggerIsNotEnabled), private channels.
 */

/** Logic Apps api-versions the request trigger answers to (as listed by its InvalidApiVersionParameter error). */
const TRIGGER_API_VERSIONS = [
  '2015-08-01-preview',
  '2016-06-01',
  '2016-10-01',
  '2017-07-01',
  '2018-03-01-preview',
  '2018-07-01-preview',
  '2019-05-01',
  '2019-06-01-preview',
];
const ISSUED_API_VERSION = '2016-06-01';
const SAS_PERMISSIONS = '/triggers/manual/run';
const SAS_VERSION = '1.0';

/** "When an action posts a message, the message size limit is approximately 28 KB" (Teams connector, known limitations). */
export const TEAMS_MESSAGE_LIMIT_BYTES = 28 * 1024;

export interface TeamsWorkflow {
  id: string;
  name: string;
  /** The full trigger URL, signature included: the secret a flow owner copies into an app setting. */
  url: string;
}

interface StoredWorkflow extends TeamsWorkflow {
  sig: string;
}

/** What the flow's run did with one accepted request. */
export type WorkflowRun = { status: 'Succeeded' } | { status: 'Failed'; code: string; message: string; problems: string[] };

export interface TeamsPost {
  runId: string;
  workflowId: string;
  workflowName: string;
  /** Emulator clock time of the request. */
  receivedAt: string;
  /** Size of the request body as sent. */
  bytes: number;
  /** The request body as parsed (a string when it was not JSON). */
  body: unknown;
  run: WorkflowRun;
  /** The Adaptive Cards the Flow bot posted to the channel, one per attachment; empty when the run failed. */
  cards: unknown[];
}

/** Workflows the emulator issued URLs for, and every request their triggers accepted, oldest first. */
export class TeamsWorkflowSink {
  private readonly workflows = new Map<string, StoredWorkflow>();
  private readonly accepted: TeamsPost[] = [];

  /** A new workflow with its own random signature, reachable at `baseUrl` (the emulator's). */
  createWorkflow(baseUrl: string, name = 'idwarden alerts'): TeamsWorkflow {
    const id = randomBytes(16).toString('hex');
    const sig = randomBytes(32).toString('base64url');
    const query = new URLSearchParams({ 'api-version': ISSUED_API_VERSION, sp: SAS_PERMISSIONS, sv: SAS_VERSION, sig });
    const workflow = { id, name, sig, url: `${baseUrl}/workflows/${id}/triggers/manual/paths/invoke?${query}` };
    this.workflows.set(id, workflow);
    return { id, name, url: workflow.url };
  }

  workflow(id: string): StoredWorkflow | undefined {
    return this.workflows.get(id.toLowerCase());
  }

  record(post: TeamsPost): void {
    this.accepted.push(post);
  }

  posts(): readonly TeamsPost[] {
    return this.accepted;
  }

  clear(): void {
    this.accepted.length = 0;
  }
}

/** A Logic Apps throttling answer, for fault rules on `teams.workflow.invoke`. */
export function workflowThrottled(retryAfterSeconds: number, workflowId = '{workflow}'): EmulatorResponse {
  return json(
    429,
    { error: { code: 'WorkflowRequestsThrottled', message: `Number of requests for workflow '${workflowId}' exceeded the limit over time window of '00:05:00'.` } },
    { 'Retry-After': String(retryAfterSeconds) },
  );
}

function checkApiVersion(req: EmulatorRequest): void {
  const version = req.query.get('api-version');
  if (!version) throw new EmulatorHttpError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
  if (!TRIGGER_API_VERSIONS.includes(version)) {
    throw new EmulatorHttpError(400, 'InvalidApiVersionParameter', `The api-version '${version}' is not valid. The supported versions are '${TRIGGER_API_VERSIONS.join(',')}'.`);
  }
}

const sameSecret = (given: string, expected: string) => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

/** The SAS scheme: the signature is the only credential, and it must come alone. */
function checkSharedAccess(req: EmulatorRequest, workflow: StoredWorkflow): void {
  const sp = req.query.get('sp');
  const sv = req.query.get('sv');
  const sig = req.query.get('sig');
  if (sp === null && sv === null && sig === null) {
    throw new EmulatorHttpError(401, 'DirectApiAuthorizationRequired', 'The request must be authenticated only by Shared Access scheme.');
  }
  const authorization = header(req, 'authorization');
  if (authorization) {
    const scheme = authorization.split(' ')[0] ?? '';
    throw new EmulatorHttpError(400, 'DirectApiRequestHasMoreThanOneAuthorization', `The request has both SAS authentication scheme and '${scheme}' authorization scheme. Only one scheme should be used.`);
  }
  if (sp !== SAS_PERMISSIONS || sv !== SAS_VERSION || sig === null || !sameSecret(sig, workflow.sig)) {
    throw new EmulatorHttpError(401, 'DirectApiInvalidAuthorizationSignature', 'The provided authorization signature is not valid.');
  }
}

/** What the template flow does with the body: a foreach over `attachments`, posting each card as the Flow bot. */
function runFlow(body: unknown, bytes: number): { run: WorkflowRun; cards: unknown[] } {
  const attachments = typeof body === 'object' && body !== null ? (body as { attachments?: unknown }).attachments : undefined;
  if (!Array.isArray(attachments)) {
    const found = attachments === undefined || attachments === null ? 'Null' : typeof attachments;
    const message = `The execution of template action 'Send_each_adaptive_card' failed: the result of the evaluation of 'foreach' expression '@triggerOutputs()?['body']?['attachments']' is of type '${found}'. The result must be a valid array.`;
    return { run: { status: 'Failed', code: 'InvalidTemplate', message, problems: [message] }, cards: [] };
  }
  if (bytes > TEAMS_MESSAGE_LIMIT_BYTES) {
    const message = `Request Entity too large: the message is ${bytes} bytes, over the ${TEAMS_MESSAGE_LIMIT_BYTES}-byte (28 KB) limit of a Teams message.`;
    return { run: { status: 'Failed', code: 'RequestEntityTooLarge', message, problems: [message] }, cards: [] };
  }
  const parsed = WorkflowMessageSchema.safeParse(body);
  if (!parsed.success) {
    const problems = describeIssues(parsed.error);
    return { run: { status: 'Failed', code: 'BadRequest', message: 'The Adaptive Card could not be posted: the payload is not a valid Adaptive Card for Teams.', problems }, cards: [] };
  }
  return { run: { status: 'Succeeded' }, cards: parsed.data.attachments.map((attachment) => attachment.content) };
}

const CreateWorkflow = z.strictObject({ name: z.string().min(1).optional() });

const control = (name: string, method: Route['method'], pattern: RegExp, handle: Route['handle']): Route => ({
  name: `control.sinks.teams.${name}`,
  method,
  service: 'control',
  pattern,
  anonymous: true,
  handle,
});

export const teamsRoutes: Route[] = [
  {
    name: 'teams.workflow.invoke',
    method: 'POST',
    service: 'arm',
    pattern: path('/workflows/{workflow}/triggers/manual/paths/invoke'),
    // The signature in the query string is the credential, not a bearer token.
    anonymous: true,
    handle(req, ctx) {
      checkApiVersion(req);
      const workflowId = ctx.params['workflow']!;
      const workflow = ctx.core.sinks.teams.workflow(workflowId);
      if (!workflow) throw new EmulatorHttpError(404, 'WorkflowNotFound', `The workflow '${workflowId}' could not be found.`);
      checkSharedAccess(req, workflow);
      const runId = `08584${randomBytes(12).toString('hex').toUpperCase()}CU00`;
      const bytes = Buffer.byteLength(req.rawBody);
      ctx.core.sinks.teams.record({
        runId,
        workflowId: workflow.id,
        workflowName: workflow.name,
        receivedAt: req.receivedAt.toISOString(),
        bytes,
        body: req.body,
        ...runFlow(req.body, bytes),
      });
      return json(202, undefined, { 'x-ms-workflow-run-id': runId, 'x-ms-correlation-id': randomUUID() });
    },
  },
  control('workflows.create', 'POST', /^\/_emulator\/sinks\/teams\/workflows$/i, (req, { core }) => {
    const body = CreateWorkflow.safeParse(req.body ?? {});
    if (!body.success) throw new EmulatorHttpError(400, 'InvalidControlRequest', describeIssues(body.error).join('; '));
    return json(201, core.sinks.teams.createWorkflow(req.baseUrl, body.data.name));
  }),
  control('list', 'GET', /^\/_emulator\/sinks\/teams$/i, (_req, { core }) => json(200, { value: core.sinks.teams.posts() })),
  control('clear', 'DELETE', /^\/_emulator\/sinks\/teams$/i, (_req, { core }) => {
    core.sinks.teams.clear();
    return json(204);
  }),
];
