import azureFunctions from '@azure/functions';
import { invocationContext } from '../src/hosting/local-functions-host.ts';
import type { QuietPoint } from './quiet-point.ts';
import { errorType, percentile, Tally } from './tally.ts';
import type { SoakWorld } from './world.ts';

/** Event Grid's misbehaviour during the soak: a fifth of events twice, all late by up to ~10 s and out of order. */
const SUBSCRIPTION = {
  name: 'idwarden-soak',
  schema: 'EventGridSchema',
  duplicateProbability: 0.2,
  delayMs: 1_000,
  reorderWindowMs: 8_000,
  maxEventsPerBatch: 5,
  // Event Grid starts at 10 s; shorter, so retries happen within a short run too.
  retryDelayMs: 2_000,
} as const;

/** `event judged id=... object=... findings=1 latencyMs=123: reason`, as functions/log-delivery.ts writes it. */
const EVENT_LINE = /^event (\S+) id=(\S+) object=\S+ findings=(\d+) latencyMs=(-?\d+):/;
const ACTION_LINE = /^action (\S+) (\S+) finding=/;
const ALERT_LINE = /^alert (\S+) (\S+) finding=/;
const TICKET_LINE = /^ticket (\S+) (\S+) finding=/;
/** Outcomes that are decisions (the event's age then is its latency); duplicates, retries and failures are not. */
const DECIDED = new Set(['judged', 'gone', 'own-action', 'stale', 'ignored']);

/** What the webhook function saw and did, delivery by delivery. */
export class EventFigures {
  deliveries = 0;
  eventsDelivered = 0;
  readonly uniqueEvents = new Set<string>();
  readonly outcomes = new Tally();
  readonly answers = new Tally();
  readonly actions = new Tally();
  readonly alerts = new Tally();
  readonly tickets = new Tally();
  readonly errors = new Tally();
  rejected = 0;
  /** From an event's time to its decision (the injected delays included), ms. */
  readonly latencies: number[] = [];
  /** One webhook invocation, ms. */
  readonly handlerMs: number[] = [];

  toJSON() {
    return {
      deliveries: this.deliveries,
      eventsDelivered: this.eventsDelivered,
      uniqueEventsDelivered: this.uniqueEvents.size,
      duplicateDeliveries: this.eventsDelivered - this.uniqueEvents.size,
      outcomes: this.outcomes.toJSON(),
      duplicatesRecognised: this.outcomes.get('duplicate'),
      rejected: this.rejected,
      httpAnswers: this.answers.toJSON(),
      actions: this.actions.toJSON(),
      alerts: this.alerts.toJSON(),
      tickets: this.tickets.toJSON(),
      errors: this.errors.toJSON(),
      latencyMs: { p50: percentile(this.latencies, 50), p99: percentile(this.latencies, 99), max: percentile(this.latencies, 100), decided: this.latencies.length },
      handlerMs: { p50: percentile(this.handlerMs, 50), p99: percentile(this.handlerMs, 99) },
    };
  }
}

/** Subscribes the bot's webhook function to the emulator's Event Grid, with duplicates, delays and reordering on. */
export async function deliverEventsToWebhook(world: SoakWorld, quiet: QuietPoint): Promise<EventFigures> {
  const figures = new EventFigures();
  const webhook = world.functions.get('eventGridWebhook')!;
  await world.emulator.eventGrid.subscribe({
    ...SUBSCRIPTION,
    randomSeed: 7,
    deliver: (body, headers) =>
      quiet.work(async () => {
        const events = Array.isArray(body) ? (body as { id?: string }[]) : [];
        figures.deliveries += 1;
        figures.eventsDelivered += events.length;
        for (const event of events) if (event.id) figures.uniqueEvents.add(event.id);
        const request = new azureFunctions.HttpRequest({ method: 'POST', url: 'https://idwarden.example/api/events', headers, body: { string: JSON.stringify(body) } });
        const { context, logs } = invocationContext('eventGridWebhook');
        const started = performance.now();
        let status: number;
        try {
          status = ((await webhook.handler(request, context)) as { status: number }).status;
        } catch (error) {
          // The host answers 500 for a function that threw; Event Grid retries.
          figures.errors.add(`webhook threw ${errorType(error)}`);
          status = 500;
        }
        figures.handlerMs.push(performance.now() - started);
        figures.answers.add(String(status));
        for (const { level, message } of logs) record(figures, level, message);
        return status;
      }),
  });
  return figures;
}

function record(figures: EventFigures, level: string, message: string): void {
  const event = EVENT_LINE.exec(message);
  if (event) {
    const [, status, , , latency] = event;
    figures.outcomes.add(status!);
    if (DECIDED.has(status!)) figures.latencies.push(Number(latency));
    if (status === 'failed') figures.errors.add(`event failed: ${failureKind(message)}`);
    return;
  }
  const action = ACTION_LINE.exec(message);
  if (action) return figures.actions.add(`${action[2]} ${action[1]}`);
  const alert = ALERT_LINE.exec(message);
  if (alert) return figures.alerts.add(`${alert[2]} ${alert[1]}`);
  const ticket = TICKET_LINE.exec(message);
  if (ticket) return figures.tickets.add(`${ticket[2]} ${ticket[1]}`);
  if (message.startsWith('event rejected')) figures.rejected += 1;
  else if (level === 'error') figures.errors.add(`webhook logged: ${message.slice(0, 60)}`);
}

/** The gist of a failed event's reason, without ids: `... could not process the event about <id>: <message>`. */
function failureKind(message: string): string {
  const reason = message.split(': ').slice(2).join(': ');
  return reason.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/gi, '<id>').replace(/\/subscriptions\/\S+/gi, '<arm-id>').slice(0, 80) || 'unknown';
}
