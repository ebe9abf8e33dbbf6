import type { InvocationContext } from '@azure/functions';
import type { DeliveryResult } from '../src/runtime/event-delivery.ts';

/** One line per event and per action, with stable words to search logs by; never a token or a secret. */
export function logDelivery(result: DeliveryResult, context: InvocationContext): void {
  for (const rejected of result.rejected) context.warn(`event rejected index=${rejected.index} id=${rejected.id ?? '?'}: ${rejected.problems.join('; ')}`);
  for (const outcome of result.outcomes) {
    const line = `event ${outcome.status} id=${outcome.eventId} object=${outcome.object?.id ?? '-'} findings=${outcome.findings.length} latencyMs=${outcome.latencyMs}: ${outcome.reason}`;
    if (outcome.status === 'failed') context.error(line);
    else context.log(line);
  }
  for (const alert of result.alerts) context.log(`alert ${alert.status} ${alert.channel} finding=${alert.findingId}: ${alert.reason}`);
  for (const ticket of result.tickets) context.log(`ticket ${ticket.status} ${ticket.service} finding=${ticket.findingId}${ticket.url ? ` ${ticket.url}` : ''}${ticket.reason ? `: ${ticket.reason}` : ''}`);
  for (const action of result.actions) context.log(`action ${action.status} ${action.action} finding=${action.findingId} audit=${action.auditId ?? '-'}: ${action.reason}`);
}
