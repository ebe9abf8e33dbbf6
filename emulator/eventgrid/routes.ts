import { EmulatorHttpError } from '../server/errors.ts';
import { json } from '../server/exchange.ts';
import type { Route } from '../server/route.ts';
import { eventGridOf, EventSubscriptionNameInUse } from './delivery.ts';
import { EventSubscriptionSchema } from './subscription.ts';
import { WebhookValidationError } from './webhook.ts';

const control = (name: string, method: Route['method'], pattern: RegExp, handle: Route['handle']): Route => ({
  name: `control.eventgrid.${name}`,
  method,
  service: 'control',
  pattern,
  anonymous: true,
  handle,
});

/**
 * The emulator's Event Grid control surface (not an Azure API): subscribe a webhook, list, remove,
 * flush pending deliveries, and read what was delivered and dead-lettered.
 */
export const eventGridRoutes: Route[] = [
  control('subscriptions.create', 'POST', /^\/_emulator\/eventgrid\/subscriptions$/i, async (req, { core }) => {
    const parsed = EventSubscriptionSchema.required({ endpointUrl: true }).safeParse(req.body ?? {});
    if (!parsed.success) {
      const detail = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ');
      throw new EmulatorHttpError(400, 'InvalidControlRequest', detail);
    }
    try {
      const id = await eventGridOf(core).subscribe(parsed.data);
      return json(201, eventGridOf(core).subscriptions().find((s) => s.id === id));
    } catch (error) {
      if (error instanceof WebhookValidationError) throw new EmulatorHttpError(400, 'WebhookValidationFailed', error.message);
      if (error instanceof EventSubscriptionNameInUse) throw new EmulatorHttpError(409, 'EventSubscriptionNameInUse', error.message);
      throw error;
    }
  }),
  control('subscriptions.list', 'GET', /^\/_emulator\/eventgrid\/subscriptions$/i, (_req, { core }) => json(200, { value: eventGridOf(core).subscriptions() })),
  control('subscriptions.delete', 'DELETE', /^\/_emulator\/eventgrid\/subscriptions\/(?<id>[^/]+)$/i, (_req, { core, params }) => {
    if (!eventGridOf(core).unsubscribe(params['id']!)) throw new EmulatorHttpError(404, 'EventSubscriptionNotFound', `no event subscription with id '${params['id']}'`);
    return json(204);
  }),
  control('flush', 'POST', /^\/_emulator\/eventgrid\/flush$/i, async (_req, { core }) => {
    const delivery = eventGridOf(core);
    await delivery.flush();
    return json(200, { deliveries: delivery.deliveries.length, deadLetters: delivery.deadLetters.length });
  }),
  control('deliveries', 'GET', /^\/_emulator\/eventgrid\/deliveries$/i, (_req, { core }) => {
    const delivery = eventGridOf(core);
    return json(200, { deliveries: delivery.deliveries, deadLetters: delivery.deadLetters });
  }),
];
