import { z } from 'zod';
import { EmulatorHttpError } from '../server/errors.ts';
import { json } from '../server/exchange.ts';
import type { Route } from '../server/route.ts';
import { LimitOverridesSchema, withOverrides } from './limits.ts';

/** `PUT /_emulator/throttling`: on with the documented limits, or with some of them changed; or off. */
const ThrottlingRequest = z.strictObject({ enabled: z.boolean(), limits: LimitOverridesSchema.optional() });

const control = (name: string, method: Route['method'], handle: Route['handle']): Route => ({
  name: `control.throttling.${name}`,
  method,
  service: 'control',
  pattern: /^\/_emulator\/throttling$/i,
  anonymous: true,
  handle,
});

/** The control surface of throttling: read its limits and 429 counts, switch it on (with limits) or off. */
export const throttlingRoutes: Route[] = [
  control('get', 'GET', (_req, { core }) => json(200, core.throttling.stats())),
  control('set', 'PUT', (req, { core }) => {
    const parsed = ThrottlingRequest.safeParse(req.body ?? {});
    if (!parsed.success) {
      throw new EmulatorHttpError(400, 'InvalidControlRequest', parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; '));
    }
    if (parsed.data.enabled) core.throttling.enable(withOverrides(parsed.data.limits));
    else core.throttling.disable();
    return json(200, core.throttling.stats());
  }),
  control('off', 'DELETE', (_req, { core }) => {
    core.throttling.disable();
    return json(204);
  }),
];
