import { processEventBatch, type EventLedger, type EventOutcome } from '../events/process-event.ts';
import type { RejectedEvent } from '../events/schema.ts';
import { coverage } from '../state/coverage.ts';
import type { ActionOutcome } from '../actions/outcome.ts';
import type { AlertOutcome } from '../actions/notify/dispatcher.ts';
import type { TicketOutcome } from './sync-tickets.ts';
import { recordAndAct } from './record-and-act.ts';
import { RemediationBudget } from '../actions/remediate/budget.ts';
import type { Runtime } from './runtime.ts';

export interface DeliveryResult {
  outcomes: EventOutcome[];
  rejected: RejectedEvent[];
  actions: ActionOutcome[];
  alerts: AlertOutcome[];
  tickets: TicketOutcome[];
  validationResponse?: { validationResponse: string };
  /** Some event must be delivered again (it failed, or another invocation holds it): answer so Event Grid retries. */
  redeliver: boolean;
}

const REDELIVER: ReadonlySet<EventOutcome['status']> = new Set(['failed', 'in-progress']);

/**
 * One Event Grid delivery, whatever carried it (the Event Grid trigger or the webhook): each event re-read and
 * judged, then its findings recorded and acted on, with resolution limited to the objects and rules it judged.
 * A malformed event is rejected on its own; the others go on.
 *
 * An event's claim is completed only once what it led to is recorded and acted on: if the process dies before, the
 * claim lapses after its lease and Event Grid's redelivery is processed again (its claim attempt above 1), which
 * completes the work the dead attempt left undone. A recording that fails gives the claims back and throws, so
 * Event Grid delivers again.
 */
export async function handleEventDelivery(runtime: Runtime, body: unknown): Promise<DeliveryResult> {
  const bot = await runtime.bot();
  const store = runtime.state.events;
  const completions = new Map<string, { outcome: string; at: Date }>();
  const ledger: EventLedger = {
    // An event twice in one delivery: the second is the duplicate it would be once the first is completed.
    claim: async (eventId, at) => (completions.has(eventId) ? { claimed: false, because: 'completed' } : store.claim(eventId, at)),
    complete: async (eventId, outcome, at) => void completions.set(eventId, { outcome, at }),
    release: (eventId, reason, at) => store.release(eventId, reason, at),
    observe: (objectKey, eventTime, kind, eventId) => store.observe(objectKey, eventTime, kind, eventId),
  };
  const batch = await processEventBatch(body, {
    clients: runtime.clients,
    policy: runtime.policy,
    botPrincipalId: bot.principalId,
    now: runtime.now,
    ledger,
  });
  const complete = async (eventId: string) => {
    const pending = completions.get(eventId);
    if (pending) await store.complete(eventId, pending.outcome, pending.at);
    completions.delete(eventId);
  };
  // One delivery is one run for the circuit breaker: at most maxRemediationsPerRun remediations across its events.
  const budget = new RemediationBudget(runtime.policy.policy.guardrails.maxRemediationsPerRun);
  const actions: ActionOutcome[] = [];
  const alerts: AlertOutcome[] = [];
  const tickets: TicketOutcome[] = [];
  try {
    for (const outcome of batch.outcomes) {
      const redelivered = (outcome.attempt ?? 1) > 1;
      if (outcome.findings.length > 0 || outcome.resolvedObjectIds.length > 0 || redelivered) {
        const recorded = await recordAndAct(
          runtime,
          outcome.findings,
          { source: 'event', scope: outcome.resolvedObjectIds.map(coverage.object), rules: outcome.resolvedForRules, at: runtime.now() },
          { runId: `event-${outcome.eventId}`, correlationId: outcome.eventId, kind: 'event-batch', budget, ...(outcome.attempt ? { attempt: outcome.attempt } : {}) },
        );
        actions.push(...recorded.outcomes);
        alerts.push(...recorded.alerts);
        tickets.push(...recorded.tickets);
      }
      await complete(outcome.eventId);
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    for (const eventId of completions.keys()) await store.release(eventId, reason, runtime.now()).catch(() => undefined);
    throw error;
  }
  return {
    outcomes: batch.outcomes,
    rejected: batch.rejected,
    actions,
    alerts,
    tickets,
    ...(batch.validationResponse ? { validationResponse: batch.validationResponse } : {}),
    redeliver: batch.outcomes.some((outcome) => REDELIVER.has(outcome.status)),
  };
}
