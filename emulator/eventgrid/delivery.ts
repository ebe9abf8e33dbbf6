import { randomUUID } from 'node:crypto';
import type { ArmOperation } from '../arm/operations.ts';
import type { EmulatorCore } from '../core.ts';
import { eventFromOperation, toCloudEvent, type EventGridEvent } from './events.ts';
import { seededRandom, seedFrom } from './random.ts';
import { EventSubscriptionSchema, matchesFilters, type EventSubscriptionInput, type EventSubscriptionSettings } from './subscription.ts';
import { postToWebhook, validateCloudEventsEndpoint, validateEventGridEndpoint } from './webhook.ts';

/** An in-process endpoint: gets what a webhook would get; answers an HTTP status (nothing means 200). */
export type DeliverFunction = (body: unknown, headers: Record<string, string>) => Promise<number | void>;

/** Time for delays and retries; tests inject a fake one to watch a delay pass without sleeping. */
export interface DeliveryScheduler {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTime: DeliveryScheduler = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface DeliveryRecord {
  subscriptionId: string;
  subscriptionName: string;
  eventIds: string[];
  /** aeg-delivery-count of this attempt: 0 the first time. */
  deliveryCount: number;
  /** The endpoint's HTTP status; undefined when it could not be reached or the function threw. */
  status: number | undefined;
  error?: string;
  /** Emulator clock. */
  at: Date;
}

export interface DeadLetter {
  subscriptionId: string;
  subscriptionName: string;
  /** The event as it would have been delivered, in the subscription's schema. */
  event: unknown;
  /** `NonRetriableHttpStatus` for 400 and 413, which Event Grid dead-letters without retrying. */
  deadLetterReason: 'MaxDeliveryAttemptsExceeded' | 'NonRetriableHttpStatus';
  deliveryAttempts: number;
  lastHttpStatusCode: number | undefined;
  lastDeliveryOutcome: string;
  deadLetteredAt: Date;
}

export interface EventSubscriptionView extends EventSubscriptionSettings {
  id: string;
  /** `webhook` or `in-process`. */
  destination: 'webhook' | 'in-process';
}

/** An event subscription name is unique per emulator, as per topic in Azure. */
export class EventSubscriptionNameInUse extends Error {
  override readonly name = 'EventSubscriptionNameInUse';
  constructor(subscriptionName: string) {
    super(`an event subscription named '${subscriptionName}' already exists`);
  }
}

interface ActiveSubscription {
  id: string;
  settings: EventSubscriptionSettings;
  deliver: DeliverFunction | undefined;
  random: () => number;
}

/** Events waiting for one attempt at one subscription. */
interface Job {
  seq: number;
  subscription: ActiveSubscription;
  events: EventGridEvent[];
  /** Attempts made so far. */
  attempts: number;
  dueAt: number;
}

const NON_RETRIABLE = new Set([400, 413]);
const MAX_RETRY_DELAY_MS = 3_600_000;
const KEEP_RECORDS = 10_000;
const isSuccess = (status: number | undefined) => status !== undefined && status >= 200 && status <= 299;

/** The delivery per emulator core, for the control routes. */
const deliveryOfCore = new WeakMap<EmulatorCore, EventGridDelivery>();

export function eventGridOf(core: EmulatorCore): EventGridDelivery {
  const delivery = deliveryOfCore.get(core);
  if (!delivery) throw new Error('this emulator core has no Event Grid delivery');
  return delivery;
}

/**
 * Delivers ARM operations as Event Grid events (Azure subscription system topics) to webhooks or
 * in-process functions: at least once, with retries and dead-lettering, optionally late, twice or out
 * of order. A delivery failure is logged and never fails the ARM operation that caused it.
 */
export class EventGridDelivery {
  private readonly active = new Map<string, ActiveSubscription>();
  private jobs: Job[] = [];
  private sequence = 0;
  private timer: unknown;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly abort = new AbortController();
  private readonly stopListening: () => void;
  private readonly scheduler: DeliveryScheduler;
  private readonly deliveryLog: DeliveryRecord[] = [];
  private readonly deadLetterLog: DeadLetter[] = [];

  constructor(
    private readonly core: EmulatorCore,
    options: { scheduler?: DeliveryScheduler } = {},
  ) {
    this.scheduler = options.scheduler ?? realTime;
    this.stopListening = core.armOperations.subscribe((operation) => this.accept(operation));
    if (!deliveryOfCore.has(core)) deliveryOfCore.set(core, this);
  }

  get deliveries(): readonly DeliveryRecord[] {
    return this.deliveryLog;
  }

  get deadLetters(): readonly DeadLetter[] {
    return this.deadLetterLog;
  }

  /**
   * Creates an event subscription. A webhook must pass the validation handshake of its schema first
   * (WebhookValidationError otherwise); an in-process `deliver` function needs none.
   */
  async subscribe(input: EventSubscriptionInput & { deliver?: DeliverFunction }): Promise<string> {
    const { deliver, ...rest } = input;
    const settings = EventSubscriptionSchema.parse(rest);
    if ((deliver === undefined) === (settings.endpointUrl === undefined)) throw new Error('give an event subscription exactly one of endpointUrl and deliver');
    if (this.subscriptionNamed(settings.name)) throw new EventSubscriptionNameInUse(settings.name);
    if (settings.endpointUrl) {
      if (settings.schema === 'EventGridSchema') await validateEventGridEndpoint(settings.endpointUrl, settings.name, this.handshakeTopic(settings), this.core.clock.now());
      else await validateCloudEventsEndpoint(settings.endpointUrl);
    }
    // Checked again: another subscribe may have taken the name while the handshake was awaited.
    if (this.subscriptionNamed(settings.name)) throw new EventSubscriptionNameInUse(settings.name);
    const id = randomUUID();
    this.active.set(id, { id, settings, deliver, random: seededRandom(settings.randomSeed ?? seedFrom(settings.name)) });
    return id;
  }

  /** Removes a subscription and drops what was still waiting for it. */
  unsubscribe(id: string): boolean {
    const removed = this.active.delete(id);
    if (removed) this.jobs = this.jobs.filter((job) => job.subscription.id !== id);
    return removed;
  }

  subscriptions(): EventSubscriptionView[] {
    return [...this.active.values()].map((s) => ({ id: s.id, destination: s.deliver ? 'in-process' : 'webhook', ...s.settings }));
  }

  /** Resolves when no delivery is in progress; events still waiting for their time keep waiting. */
  idle(): Promise<void> {
    return this.chain;
  }

  /** Delivers everything pending now, delays and retry back-off aside; resolves when nothing is left to deliver. */
  flush(): Promise<void> {
    return this.run(true);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopListening();
    if (this.timer !== undefined) this.scheduler.clearTimeout(this.timer);
    this.jobs = [];
    this.abort.abort();
    await this.chain;
    if (deliveryOfCore.get(this.core) === this) deliveryOfCore.delete(this.core);
  }

  private subscriptionNamed(name: string): ActiveSubscription | undefined {
    return [...this.active.values()].find((s) => s.settings.name.toLowerCase() === name.toLowerCase());
  }

  private handshakeTopic(settings: EventSubscriptionSettings): string {
    const topic = settings.topics?.[0] ?? [...this.core.tenant.subscriptions.values()][0]?.subscriptionId ?? this.core.tenant.tenantId;
    return topic.startsWith('/') ? topic : `/subscriptions/${topic}`;
  }

  private accept(operation: ArmOperation): void {
    if (this.closed) return;
    const event = eventFromOperation(operation, this.core.tenant);
    if (!event) return;
    for (const subscription of this.active.values()) {
      if (!matchesFilters(subscription.settings, event)) continue;
      this.enqueue(subscription, event);
      if (subscription.random() < subscription.settings.duplicateProbability) this.enqueue(subscription, event);
    }
    this.schedule();
  }

  private enqueue(subscription: ActiveSubscription, event: EventGridEvent): void {
    const { delayMs, reorderWindowMs } = subscription.settings;
    const jitter = reorderWindowMs > 0 ? Math.floor(subscription.random() * reorderWindowMs) : 0;
    this.jobs.push({ seq: this.sequence++, subscription, events: [event], attempts: 0, dueAt: this.scheduler.now() + delayMs + jitter });
  }

  /** Sets one timer for the earliest job not yet due. */
  private schedule(): void {
    if (this.closed) return;
    if (this.timer !== undefined) this.scheduler.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.jobs.length === 0) return;
    const next = Math.min(...this.jobs.map((job) => job.dueAt));
    this.timer = this.scheduler.setTimeout(
      () => {
        this.timer = undefined;
        void this.run(false);
      },
      Math.max(0, next - this.scheduler.now()),
    );
  }

  /** Deliveries run one at a time, in due order, so what a test sees is reproducible. */
  private run(ignoreDueTimes: boolean): Promise<void> {
    this.chain = this.chain.then(async () => {
      for (let job = this.takeNext(ignoreDueTimes); job && !this.closed; job = this.takeNext(ignoreDueTimes)) await this.attempt(job);
      this.schedule();
    });
    return this.chain;
  }

  /** The earliest due job, merged with later fresh ones of the same subscription up to its batch size. */
  private takeNext(ignoreDueTimes: boolean): Job | undefined {
    const now = this.scheduler.now();
    const ready = this.jobs.filter((job) => ignoreDueTimes || job.dueAt <= now).sort((a, b) => a.dueAt - b.dueAt || a.seq - b.seq);
    const first = ready[0];
    if (!first) return undefined;
    const batch = [first];
    const limit = first.subscription.settings.maxEventsPerBatch;
    if (first.attempts === 0) {
      for (const job of ready.slice(1)) {
        if (batch.length >= limit) break;
        if (job.subscription === first.subscription && job.attempts === 0) batch.push(job);
      }
    }
    this.jobs = this.jobs.filter((job) => !batch.includes(job));
    return { ...first, events: batch.flatMap((job) => job.events) };
  }

  private render(job: Job): { body: unknown; headers: Record<string, string> } {
    const { settings } = job.subscription;
    const cloudEvents = settings.schema === 'CloudEventSchemaV1_0';
    const single = cloudEvents && settings.maxEventsPerBatch === 1;
    // A fresh copy per attempt: a consumer that mutates what it got cannot change a retry.
    const events = structuredClone(cloudEvents ? job.events.map(toCloudEvent) : job.events);
    return {
      body: single ? events[0] : events,
      headers: {
        'content-type': cloudEvents ? (single ? 'application/cloudevents+json; charset=utf-8' : 'application/cloudevents-batch+json; charset=utf-8') : 'application/json; charset=utf-8',
        'aeg-event-type': 'Notification',
        'aeg-subscription-name': settings.name.toUpperCase(),
        'aeg-delivery-count': String(job.attempts),
        'aeg-metadata-version': '1',
        'aeg-data-version': '2',
      },
    };
  }

  private async attempt(job: Job): Promise<void> {
    const subscription = job.subscription;
    const { body, headers } = this.render(job);
    let status: number | undefined;
    let error: string | undefined;
    try {
      status = subscription.deliver ? ((await subscription.deliver(body, headers)) ?? 200) : await postToWebhook(subscription.settings.endpointUrl!, body, headers, this.abort.signal);
    } catch (failure) {
      error = failure instanceof Error ? failure.message : String(failure);
    }
    this.record({
      subscriptionId: subscription.id,
      subscriptionName: subscription.settings.name,
      eventIds: job.events.map((event) => event.id),
      deliveryCount: job.attempts,
      status,
      ...(error !== undefined ? { error } : {}),
      at: this.core.clock.now(),
    });
    if (isSuccess(status) || this.closed || !this.active.has(subscription.id)) return;
    const attempts = job.attempts + 1;
    const outcome = status === undefined ? `no answer: ${error}` : `HTTP ${status}`;
    if (status !== undefined && NON_RETRIABLE.has(status)) return this.deadLetter(job, attempts, 'NonRetriableHttpStatus', status, outcome);
    if (attempts >= subscription.settings.maxDeliveryAttempts) return this.deadLetter(job, attempts, 'MaxDeliveryAttemptsExceeded', status, outcome);
    const backoff = Math.min(subscription.settings.retryDelayMs * 2 ** (attempts - 1), MAX_RETRY_DELAY_MS);
    console.warn(`[emulator] Event Grid delivery to '${subscription.settings.name}' failed (${outcome}); retry ${attempts} in ${backoff} ms`);
    this.jobs.push({ ...job, attempts, dueAt: this.scheduler.now() + backoff });
  }

  private deadLetter(job: Job, attempts: number, reason: DeadLetter['deadLetterReason'], status: number | undefined, outcome: string): void {
    const { settings } = job.subscription;
    console.warn(`[emulator] Event Grid dead-lettered ${job.events.length} event(s) for '${settings.name}' after ${attempts} attempt(s): ${outcome}`);
    for (const event of job.events) {
      this.deadLetterLog.push({
        subscriptionId: job.subscription.id,
        subscriptionName: settings.name,
        event: settings.schema === 'CloudEventSchemaV1_0' ? toCloudEvent(event) : event,
        deadLetterReason: reason,
        deliveryAttempts: attempts,
        lastHttpStatusCode: status,
        lastDeliveryOutcome: outcome,
        deadLetteredAt: this.core.clock.now(),
      });
    }
  }

  private record(entry: DeliveryRecord): void {
    this.deliveryLog.push(entry);
    if (this.deliveryLog.length > KEEP_RECORDS) this.deliveryLog.splice(0, this.deliveryLog.length - KEEP_RECORDS);
  }
}
