import { z } from 'zod';
import type { EventGridEvent } from './events.ts';

/**
 * An event subscription on the subscriptions' system topics: where events go, which ones, and how the
 * emulator misbehaves on purpose (delay, duplicates, reordering) so consumers are tested against Event Grid's
 * at-least-once, unordered delivery.
 */
export const EventSubscriptionSchema = z.strictObject({
  /** Event Grid's rule: 3 to 64 letters, digits and hyphens. */
  name: z.string().regex(/^[A-Za-z0-9-]{3,64}$/, '3 to 64 letters, digits and hyphens'),
  /** Webhook URL (https, or http for a local listener); absent when an in-process `deliver` function is given. */
  endpointUrl: z.url({ protocol: /^https?$/ }).optional(),
  schema: z.enum(['EventGridSchema', 'CloudEventSchemaV1_0']),
  includedEventTypes: z.array(z.string().min(1)).min(1).optional(),
  /** The usual advanced filter: StringIn on data.operationName (case-insensitive; Event Grid allows 25 values). */
  operationNames: z.array(z.string().min(1)).min(1).max(25).optional(),
  subjectBeginsWith: z.string().min(1).optional(),
  subjectEndsWith: z.string().min(1).optional(),
  /** Which subscriptions' topics: subscription ids or `/subscriptions/{id}`; every subscription when absent. */
  topics: z.array(z.string().min(1)).min(1).optional(),
  delayMs: z.number().int().nonnegative().default(0),
  maxEventsPerBatch: z.number().int().min(1).max(5000).default(1),
  duplicateProbability: z.number().min(0).max(1).default(0),
  reorderWindowMs: z.number().int().nonnegative().default(0),
  /** Event Grid's default and maximum is 30. */
  maxDeliveryAttempts: z.number().int().min(1).max(30).default(30),
  /** First retry after this long, doubling each time (Event Grid's own schedule starts at 10 s). */
  retryDelayMs: z.number().int().nonnegative().default(10_000),
  /** Seeds the duplicate and reorder choices, so a run can be reproduced. */
  randomSeed: z.number().int().optional(),
});

export type EventSubscriptionInput = z.input<typeof EventSubscriptionSchema>;
export type EventSubscriptionSettings = z.output<typeof EventSubscriptionSchema>;

const topicOf = (topic: string) => (topic.startsWith('/') ? topic : `/subscriptions/${topic}`).toLowerCase();

/** Event Grid filters: every given filter must pass (AND), any value within one filter may match (OR), case-insensitively. */
export function matchesFilters(settings: EventSubscriptionSettings, event: EventGridEvent): boolean {
  const lower = (value: string) => value.toLowerCase();
  if (settings.topics && !settings.topics.map(topicOf).includes(lower(event.topic))) return false;
  if (settings.includedEventTypes && !settings.includedEventTypes.map(lower).includes(lower(event.eventType))) return false;
  if (settings.operationNames && !settings.operationNames.map(lower).includes(lower(event.data.operationName))) return false;
  if (settings.subjectBeginsWith && !lower(event.subject).startsWith(lower(settings.subjectBeginsWith))) return false;
  if (settings.subjectEndsWith && !lower(event.subject).endsWith(lower(settings.subjectEndsWith))) return false;
  return true;
}
