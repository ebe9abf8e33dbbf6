import { processEventBatch, type EventOutcome } from '../events/process-event.ts';
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
 */
export async function handleEventDelivery(runtime: Runtime, body: unknown): Promise<DeliveryResult> {
  const bot = await runtime.bot();
  const batch = await processEventBatch(body, {
    clients: runtime.clients,
    policy: runtime.policy,
    botPrincipalId: bot.principalId,
    now: runtime.now,
    ledger: runtime.state.events,
  });
  // One delivery is one run for the circuit breaker: at most maxRemediationsPerRun remediations across its events.
  const budget = new RemediationBudget(runtime.policy.policy.guardrails.maxRemediationsPerRun);
  const actions: ActionOutcome[] = [];
  const alerts: AlertOutcome[] = [];
  const tickets: TicketOutcome[] = [];
  for (const outcome of batch.outcomes) {
    if (outcome.findings.length === 0 && outcome.resolvedObjectIds.length === 0) continue;
    const recorded = await recordAndAct(
      runtime,
      outcome.findings,
      { source: 'event', scope: outcome.resolvedObjectIds.map(coverage.object), rules: outcome.resolvedForRules, at: runtime.now() },
      { runId: `event-${outcome.eventId}`, correlationId: outcome.eventId, kind: 'event-batch', budget },
    );
    actions.push(...recorded.outcomes);
    alerts.push(...recorded.alerts);
    tickets.push(...recorded.tickets);
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
