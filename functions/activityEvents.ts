import { app, type EventGridEvent, type InvocationContext } from '@azure/functions';
import { handleEventDelivery } from '../src/runtime/event-delivery.ts';
import { sharedRuntime } from '../src/runtime/runtime.ts';
import { logDelivery } from './log-delivery.ts';

/**
 * Event Grid trigger for ARM events from subscription system topics. A malformed event is logged and dropped;
 * an event that could not be decided (a failed lookup, or another invocation holding it) is thrown back so
 * Event Grid delivers it again.
 */
export async function activityEvents(event: EventGridEvent, context: InvocationContext): Promise<void> {
  const result = await handleEventDelivery(await sharedRuntime(), event);
  logDelivery(result, context);
  if (result.redeliver) throw new Error(`event ${event.id} was not decided; asking Event Grid to deliver it again`);
}

app.eventGrid('activityEvents', { handler: activityEvents });
