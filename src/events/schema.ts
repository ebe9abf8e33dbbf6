import { z } from 'zod';
import { formatPath } from '../policy/load.ts';

/**
 * What Event Grid delivers, checked at the trust boundary: Azure subscription events (ARM operations) in the Event
 * Grid schema or CloudEvents 1.0, one event or an array, and the Event Grid schema's subscription-validation event.
 * Each event is checked on its own: one malformed event is rejected with its problems, the others go on.
 * The envelope rules are those of @azure/eventgrid's deserializer; `data` is checked for what the bot reads.
 */

/** Event Grid's names for its two delivery schemas (`eventDeliverySchema`). */
export type EventSchemaName = 'EventGridSchema' | 'CloudEventSchemaV1_0';

/** An Azure Resource Manager operation as Event Grid reported it, normalised across both schemas. */
export interface ArmEvent {
  id: string;
  /** `Microsoft.Resources.Resource{Write,Delete,Action}{Success,Failure,Cancel}` */
  eventType: string;
  subject: string;
  /** The ARM id of the resource the operation acted on (`data.resourceUri`, else the subject). */
  resourceUri: string;
  /** e.g. `Microsoft.Authorization/roleAssignments/write` */
  operationName: string;
  /** `Succeeded`, `Failed` or `Canceled`. */
  status: string;
  subscriptionId: string;
  tenantId: string;
  /** ISO 8601 as Event Grid sent it (up to seven fractional digits): compare as instants, not as text. */
  eventTime: string;
  /** The same for every event of one ARM operation. */
  correlationId: string | null;
  /** Object id of whoever made the call (token claim `oid`), lower-case: the caller, not the object acted on. */
  callerPrincipalId: string | null;
  /** The caller's application id (claim `appid` / `azp`), lower-case. */
  callerAppId: string | null;
  /**
   * The request's HTTP method when Event Grid included the request: it does for deletes, actions and writes that
   * changed an existing resource, and not for writes that created one, so null on a write means a creation.
   */
  httpMethod: string | null;
  schema: EventSchemaName;
}

export interface RejectedEvent {
  /** Position in the delivered batch (0 for a single event). */
  index: number;
  id?: string;
  problems: string[];
}

export interface SubscriptionValidation {
  validationCode: string;
  validationUrl?: string;
}

export interface ParsedEventBatch {
  events: ArmEvent[];
  rejected: RejectedEvent[];
  /** Present when Event Grid is validating a new webhook subscription: answer `{ validationResponse: validationCode }`. */
  validation?: SubscriptionValidation;
}

export const SUBSCRIPTION_VALIDATION_EVENT = 'Microsoft.EventGrid.SubscriptionValidationEvent';
const ARM_EVENT_TYPE = /^Microsoft\.Resources\.Resource(Write|Delete|Action)(Success|Failure|Cancel)$/;

const OBJECT_ID_CLAIMS = ['http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid'];
const APP_ID_CLAIMS = ['appid', 'azp'];

const Timestamp = z.string().refine((value) => /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value)), 'expected an ISO 8601 date and time');

/** Event Grid schema envelope: what @azure/eventgrid requires before it hands an event over. */
const EventGridEnvelope = z.object({
  id: z.string().min(1),
  topic: z.string(),
  subject: z.string(),
  eventType: z.string().min(1),
  eventTime: Timestamp,
  data: z.unknown().refine((data) => data !== undefined, 'required'),
  dataVersion: z.string(),
  metadataVersion: z.literal('1'),
});

/** CloudEvents 1.0 structured envelope: `time` and `subject` are optional in the spec; ARM events always carry them. */
const CloudEventEnvelope = z.object({
  specversion: z.literal('1.0'),
  id: z.string().min(1),
  source: z.string().min(1),
  type: z.string().min(1),
  subject: z.string().optional(),
  time: Timestamp.optional(),
  data: z.unknown().optional(),
});

/** Claims and evidence are string maps; a value of another kind is skipped rather than failing the event. */
const StringMap = z.record(z.string(), z.unknown()).transform((map) => Object.fromEntries(Object.entries(map).filter((entry): entry is [string, string] => typeof entry[1] === 'string')));

/** The part of an ARM event's `data` the bot reads (the event carries no request or response body). */
const ResourceEventData = z.object({
  claims: StringMap.optional(),
  correlationId: z.string().optional(),
  httpRequest: z.object({ method: z.string().optional() }).optional(),
  resourceUri: z.string().min(1),
  operationName: z.string().min(1),
  status: z.string().min(1),
  subscriptionId: z.string().min(1),
  tenantId: z.string().min(1),
});

const ValidationData = z.object({ validationCode: z.string().min(1), validationUrl: z.string().optional() });

/** One envelope, whichever schema, before its data is read. */
interface Envelope {
  id: string;
  type: string;
  subject: string | undefined;
  time: string | undefined;
  data: unknown;
  schema: EventSchemaName;
}

type Checked<T> = { ok: true; value: T } | { ok: false; problems: string[] };

const problemsOf = (error: z.ZodError, prefix: (string | number)[] = []) =>
  error.issues.map((issue) => `${formatPath([...prefix, ...issue.path]) || '(event)'}: ${issue.message}`);

/** Zod's default for a missing key says "received undefined"; say "required". */
const requiredMessage = (issue: z.core.$ZodRawIssue) => (issue.code === 'invalid_type' && issue.input === undefined ? `required: expected ${issue.expected}` : undefined);

function check<T extends z.ZodType>(schema: T, value: unknown, prefix: (string | number)[] = []): Checked<z.output<T>> {
  const parsed = schema.safeParse(value, { error: requiredMessage });
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, problems: problemsOf(parsed.error, prefix) };
}

/** A CloudEvent has `specversion`; anything else is read as the Event Grid schema. */
function envelopeOf(event: Record<string, unknown>): Checked<Envelope> {
  if ('specversion' in event) {
    const checked = check(CloudEventEnvelope, event);
    if (!checked.ok) return checked;
    const { id, type, subject, time, data } = checked.value;
    return { ok: true, value: { id, type, subject, time, data, schema: 'CloudEventSchemaV1_0' } };
  }
  const checked = check(EventGridEnvelope, event);
  if (!checked.ok) return checked;
  const { id, eventType, subject, eventTime, data } = checked.value;
  return { ok: true, value: { id, type: eventType, subject, time: eventTime, data, schema: 'EventGridSchema' } };
}

const firstClaim = (claims: Record<string, string>, names: string[]) => names.map((name) => claims[name]).find((value) => value !== undefined && value !== '')?.toLowerCase() ?? null;

function armEventOf(envelope: Envelope): Checked<ArmEvent> {
  const data = check(ResourceEventData, envelope.data, ['data']);
  if (!data.ok) return data;
  if (envelope.time === undefined) return { ok: false, problems: ['time: required for an Azure Resource Manager event (it orders the events of one object)'] };
  const claims = data.value.claims ?? {};
  return {
    ok: true,
    value: {
      id: envelope.id,
      eventType: envelope.type,
      subject: envelope.subject ?? data.value.resourceUri,
      resourceUri: data.value.resourceUri,
      operationName: data.value.operationName,
      status: data.value.status,
      subscriptionId: data.value.subscriptionId,
      tenantId: data.value.tenantId,
      eventTime: envelope.time,
      correlationId: data.value.correlationId ?? null,
      callerPrincipalId: firstClaim(claims, OBJECT_ID_CLAIMS),
      callerAppId: firstClaim(claims, APP_ID_CLAIMS),
      httpMethod: data.value.httpRequest?.method?.toUpperCase() ?? null,
      schema: envelope.schema,
    },
  };
}

const idOf = (event: unknown) => (typeof event === 'object' && event !== null && typeof (event as { id?: unknown }).id === 'string' ? (event as { id: string }).id : undefined);

/** Reads what one Event Grid delivery carried: a single event or an array, in either schema. Never throws. */
export function parseEventBatch(body: unknown): ParsedEventBatch {
  const batch: ParsedEventBatch = { events: [], rejected: [] };
  if (typeof body !== 'object' || body === null) {
    batch.rejected.push({ index: 0, problems: [`expected an event object or an array of events, got ${body === null ? 'null' : typeof body}`] });
    return batch;
  }
  const items: unknown[] = Array.isArray(body) ? body : [body];
  items.forEach((item, index) => {
    const reject = (problems: string[]) => {
      const id = idOf(item);
      batch.rejected.push({ index, ...(id !== undefined ? { id } : {}), problems });
    };
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return reject([`expected an event object, got ${item === null ? 'null' : Array.isArray(item) ? 'an array' : typeof item}`]);
    const envelope = envelopeOf(item as Record<string, unknown>);
    if (!envelope.ok) return reject(envelope.problems);
    if (envelope.value.type === SUBSCRIPTION_VALIDATION_EVENT && envelope.value.schema === 'EventGridSchema') {
      const validation = check(ValidationData, envelope.value.data, ['data']);
      if (!validation.ok) return reject(validation.problems);
      batch.validation = validation.value;
      return;
    }
    if (!ARM_EVENT_TYPE.test(envelope.value.type)) return reject([`${envelope.value.schema === 'EventGridSchema' ? 'eventType' : 'type'}: '${envelope.value.type}' is not an Azure Resource Manager event`]);
    const armEvent = armEventOf(envelope.value);
    if (!armEvent.ok) return reject(armEvent.problems);
    batch.events.push(armEvent.value);
  });
  return batch;
}
