import type { AzureClients } from '../azure/clients.ts';
import { AzureApiError } from '../azure/errors.ts';
import type { Finding } from '../model/finding.ts';
import type { InventoryGap } from '../model/snapshot.ts';
import { judgeSnapshot } from '../pipeline/judge.ts';
import type { LoadedPolicy } from '../policy/load.ts';
import { scopeKey } from '../rules/arm-scope.ts';
import type { RuleError } from '../rules/evaluate.ts';
import type { RuleId } from '../rules/rule.ts';
import { affectedObject, type JudgeableObject } from './affected-object.ts';
import { focusedSnapshot, relevantRules, rulesResolvedWhenGone } from './focused-snapshot.ts';
import { LiveReader } from './live-reader.ts';
import { parseEventBatch, type ArmEvent, type RejectedEvent } from './schema.ts';

/**
 * One Event Grid event through to findings: which object it names, whether it was seen already or superseded,
 * whether the bot caused it, what the object looks like live now, and what the relevant rules and the policy say.
 * Never throws: whatever fails becomes an outcome with status `failed`, so the Functions layer decides on retries.
 */

/**
 * Idempotency and ordering, kept by the state store (src/state/event-ledger.ts satisfies this): the part of it the
 * event path uses. A claim lets one invocation process an event id; it is completed once the event is decided, and
 * released when processing failed, so Event Grid's redelivery is processed rather than dropped as a duplicate.
 */
export interface EventLedger {
  /** `attempt`: how many times the event has been claimed, this time included (above 1: an earlier claim lapsed or was given back). */
  claim(eventId: string, at: Date): Promise<{ claimed: true; attempt?: number } | { claimed: false; because: 'completed' | 'in-progress' }>;
  complete(eventId: string, outcome: string, at: Date): Promise<void>;
  release(eventId: string, reason: string, at: Date): Promise<void>;
  /**
   * Records that an event of `eventTime` (Event Grid's string, full precision) concerns the object (a lower-case ARM
   * id); `stale` when a later event about the same object was already applied.
   */
  observe(objectKey: string, eventTime: string, kind: JudgeableObject['change'], eventId: string): Promise<{ stale: boolean }>;
}

export interface EventDeps {
  clients: AzureClients;
  policy: LoadedPolicy;
  /** The bot's own object id: its own writes and deletes are recognised, never judged again. */
  botPrincipalId: string;
  now: () => Date;
  ledger: EventLedger;
}

/**
 * `duplicate`: already decided, acknowledge it. `in-progress`: another invocation holds the event right now; ask for
 * redelivery (it may crash). `failed`: ask for redelivery; the claim was given back.
 */
export type EventStatus = 'judged' | 'duplicate' | 'in-progress' | 'stale' | 'ignored' | 'gone' | 'own-action' | 'failed';

/** What failed, in the fields the Functions layer decides retries on (AzureApiError's when it was an Azure call). */
export interface EventFailure {
  name: string;
  message: string;
  service?: AzureApiError['service'];
  operation?: string;
  statusCode?: number;
  code?: string;
  requestId?: string;
  target?: string;
}

export interface EventOutcome {
  eventId: string;
  status: EventStatus;
  object?: JudgeableObject;
  /** Findings about the object as it is now (source 'event'), from the rules that can judge it on the event path. */
  findings: Finding[];
  /**
   * Objects whose open findings from `resolvedForRules` are resolved, except those whose id is in `findings`. A finding
   * is about an object when its roleAssignmentId (role assignments), roleDefinitionId (role definitions, by trailing
   * GUID) or identityResourceId (identities and their resources) is the object's id, compared case-insensitively.
   * Empty when any lookup failed: rules that stayed silent for want of data have not said the object is fine.
   */
  resolvedObjectIds: string[];
  resolvedForRules: RuleId[];
  /** Lookups that failed while re-reading; the rules that needed them stayed silent. */
  gaps: InventoryGap[];
  ruleErrors: RuleError[];
  error?: EventFailure;
  reason: string;
  /** From the event's time to the decision, by `deps.now()`. */
  latencyMs: number;
  /** The claim's attempt, for an event this invocation claimed (see EventLedger.claim). */
  attempt?: number;
}

type Decided = Omit<EventOutcome, 'eventId' | 'latencyMs'>;

const decided = (status: EventStatus, reason: string, rest: Partial<Decided> = {}): Decided => ({
  status,
  reason,
  findings: [],
  resolvedObjectIds: [],
  resolvedForRules: [],
  gaps: [],
  ruleErrors: [],
  ...rest,
});

export async function processEvent(event: ArmEvent, deps: EventDeps): Promise<EventOutcome> {
  const finish = (result: Decided): EventOutcome => ({ eventId: event.id, ...result, latencyMs: deps.now().getTime() - Date.parse(event.eventTime) });
  const object = affectedObject(event);
  if (object.kind === 'ignored') return finish(decided('ignored', object.reason));
  let claimed = false;
  try {
    // Claim and observe together (one round trip to storage instead of two): observing is idempotent, so an observation
    // made for a delivery that turns out to be a duplicate, or whose claim another invocation holds, changes nothing.
    const [claiming, observed] = await Promise.allSettled([
      deps.ledger.claim(event.id, deps.now()),
      deps.ledger.observe(scopeKey(object.id), event.eventTime, object.change, event.id),
    ]);
    if (claiming.status === 'rejected') throw claiming.reason;
    const claim = claiming.value;
    if (!claim.claimed) {
      return finish(claim.because === 'completed' ? decided('duplicate', `event ${event.id} was already processed`, { object }) : decided('in-progress', `event ${event.id} is being processed by another invocation`, { object }));
    }
    claimed = true;
    if (observed.status === 'rejected') throw observed.reason;
    const result = observed.value.stale ? decided('stale', `a later event about ${object.id} was already processed`, { object }) : await decideClaimed(event, object, deps);
    await deps.ledger.complete(event.id, result.status, deps.now());
    return { ...finish(result), ...(claim.attempt !== undefined ? { attempt: claim.attempt } : {}) };
  } catch (error) {
    // Best effort: if the ledger itself failed, the claim lapses after its lease and a redelivery is processed then.
    if (claimed) await deps.ledger.release(event.id, messageOf(error), deps.now()).catch(() => undefined);
    return finish(decided('failed', `could not process the event about ${object.id}: ${messageOf(error)}`, { object, error: failureOf(error) }));
  }
}

/** A claimed event that is the latest about its object: the bot's own action, or the object re-read and judged. */
async function decideClaimed(event: ArmEvent, object: JudgeableObject, deps: EventDeps): Promise<Decided> {
  if (event.callerPrincipalId !== null && event.callerPrincipalId === deps.botPrincipalId.toLowerCase()) {
    // The bot's own remediation coming back as an event: a delete still resolves what it fixed.
    const resolves = object.change === 'delete' ? { resolvedObjectIds: [object.id], resolvedForRules: [...rulesResolvedWhenGone(object.kind)] } : {};
    return decided('own-action', `the bot's own ${object.change} of ${object.id}`, { object, ...resolves });
  }
  const rules = relevantRules(object.kind);
  const read = await new LiveReader(deps.clients).read(object, policyNamesManagementGroups(deps.policy) ? { managementGroupChainOf: event.subscriptionId } : {});
  if (read.state === 'gone') return decided('gone', read.reason, { object, resolvedObjectIds: [object.id], resolvedForRules: [...rulesResolvedWhenGone(object.kind)] });

  const asOf = deps.now();
  const snapshot = focusedSnapshot(read.facts, { tenantId: event.tenantId, takenAt: asOf, event, object });
  const { findings, ruleErrors } = judgeSnapshot(snapshot, restrictedTo(deps.policy, rules), { asOf, botPrincipalId: deps.botPrincipalId, source: 'event' });
  const complete = read.facts.failures.length === 0 && ruleErrors.length === 0;
  const gapNote = read.facts.failures.length > 0 ? `; ${read.facts.failures.length} lookup(s) failed, so nothing is resolved` : '';
  return decided('judged', `${findings.length} finding(s) from ${rules.join(', ')}${gapNote}`, {
    object,
    findings,
    resolvedObjectIds: complete ? [object.id] : [],
    resolvedForRules: complete ? [...rules] : [],
    gaps: read.facts.failures,
    ruleErrors,
  });
}

export interface ProcessedBatch {
  outcomes: EventOutcome[];
  rejected: RejectedEvent[];
  /** Event Grid's webhook handshake: answer 200 with this body. */
  validationResponse?: { validationResponse: string };
}

/** A delivery (one event or an array, either schema): each event in order, a malformed one rejected on its own. */
export async function processEventBatch(body: unknown, deps: EventDeps): Promise<ProcessedBatch> {
  const { events, rejected, validation } = parseEventBatch(body);
  const outcomes: EventOutcome[] = [];
  // One at a time: events of one batch may concern the same object, and the ledger orders them.
  for (const event of events) outcomes.push(await processEvent(event, deps));
  return { outcomes, rejected, ...(validation ? { validationResponse: { validationResponse: validation.validationCode } } : {}) };
}

/** The policy with every rule but `ruleIds` switched off: the event path judges one object with the rules that fit it. */
function restrictedTo(loaded: LoadedPolicy, ruleIds: readonly RuleId[]): LoadedPolicy {
  const rules = Object.fromEntries(Object.entries(loaded.policy.rules).map(([id, settings]) => [id, ruleIds.includes(id as RuleId) ? settings : { ...settings!, enabled: false }]));
  return { policy: { ...loaded.policy, rules }, hash: loaded.hash };
}

const MANAGEMENT_GROUP_SCOPE = /^\/providers\/microsoft\.management\/managementgroups\//i;

/** Whether deciding needs the subscription's management-group chain: the policy's scope or an exemption names a management group. */
function policyNamesManagementGroups({ policy }: LoadedPolicy): boolean {
  const scopes = [...policy.scope.include, ...policy.scope.exclude, ...policy.exemptions.flatMap((exemption) => (exemption.scope ? [exemption.scope] : []))];
  return scopes.some((scope) => MANAGEMENT_GROUP_SCOPE.test(scope));
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

function failureOf(error: unknown): EventFailure {
  if (error instanceof AzureApiError) {
    return {
      name: error.name,
      message: error.message,
      service: error.service,
      operation: error.operation,
      ...(error.statusCode !== undefined ? { statusCode: error.statusCode } : {}),
      ...(error.code !== undefined ? { code: error.code } : {}),
      ...(error.requestId !== undefined ? { requestId: error.requestId } : {}),
      ...(error.target !== undefined ? { target: error.target } : {}),
    };
  }
  return { name: error instanceof Error ? error.name : 'Error', message: messageOf(error) };
}
