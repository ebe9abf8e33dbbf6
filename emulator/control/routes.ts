import { z } from 'zod';
import { EmulatorHttpError } from '../server/errors.ts';
import { json, type EmulatorRequest } from '../server/exchange.ts';
import type { Route } from '../server/route.ts';
import { buildTenant, SeedError } from '../seed/load.ts';

/**
 * The emulator's own control surface under /_emulator (not Azure): seed, clock, faults, request counts,
 * and tokens for principals other than the bot (a test playing a person in the portal).
 */
function parse<T>(schema: z.ZodType<T>, req: EmulatorRequest): T {
  const result = schema.safeParse(req.body ?? {});
  if (!result.success) {
    const detail = result.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ');
    throw new EmulatorHttpError(400, 'InvalidControlRequest', detail);
  }
  return result.data;
}

const FaultSchema = z.strictObject({
  id: z.string().optional(),
  route: z.string().optional(),
  method: z.string().optional(),
  path: z.string().optional(),
  after: z.number().int().nonnegative().optional(),
  times: z.number().int().positive().optional(),
  latencyMs: z.number().int().nonnegative().optional(),
  drop: z.boolean().optional(),
  response: z
    .strictObject({ status: z.number().int().min(100).max(599), headers: z.record(z.string(), z.string()).optional(), body: z.unknown().optional() })
    .optional(),
});

const ClockSchema = z.strictObject({ now: z.iso.datetime({ offset: true }).optional(), advanceSeconds: z.number().optional(), resume: z.boolean().optional() });

const TokenSchema = z.strictObject({
  principalId: z.guid(),
  audience: z.string().min(1),
  lifetimeSeconds: z.number().int().optional(),
  kind: z.enum(['app', 'user']).default('user'),
});

const control = (name: string, method: Route['method'], pattern: RegExp, handle: Route['handle']): Route => ({
  name: `control.${name}`,
  method,
  service: 'control',
  pattern,
  anonymous: true,
  handle,
});

export const controlRoutes: Route[] = [
  control('health', 'GET', /^\/_emulator\/health$/i, (_req, { core }) =>
    json(200, { status: 'ok', tenantId: core.tenant.tenantId, now: core.clock.now().toISOString() }),
  ),
  control('seed', 'POST', /^\/_emulator\/seed$/i, (req, { core }) => {
    try {
      core.tenant = buildTenant(req.body, 'posted to /_emulator/seed');
    } catch (error) {
      if (error instanceof SeedError) throw new EmulatorHttpError(400, 'InvalidSeed', error.message);
      throw error;
    }
    return json(200, { tenantId: core.tenant.tenantId });
  }),
  control('faults.add', 'POST', /^\/_emulator\/faults$/i, (req, { core }) => json(201, { id: core.faults.add(parse(FaultSchema, req)) })),
  control('faults.list', 'GET', /^\/_emulator\/faults$/i, (_req, { core }) => json(200, { value: core.faults.list(), applied: core.faults.counts() })),
  control('faults.clear', 'DELETE', /^\/_emulator\/faults$/i, (_req, { core }) => {
    core.faults.clear();
    return json(204);
  }),
  control('clock', 'POST', /^\/_emulator\/clock$/i, (req, { core }) => {
    const body = parse(ClockSchema, req);
    if (body.resume) core.clock.set(undefined);
    if (body.now) core.clock.set(new Date(body.now));
    if (body.advanceSeconds) core.clock.advance(body.advanceSeconds * 1000);
    return json(200, { now: core.clock.now().toISOString() });
  }),
  control('requests', 'GET', /^\/_emulator\/requests$/i, (_req, { core }) =>
    json(200, { total: core.requests.total(), byRoute: core.requests.countsByRoute() }),
  ),
  control('requests.reset', 'DELETE', /^\/_emulator\/requests$/i, (_req, { core }) => {
    core.requests.reset();
    return json(204);
  }),
  control('tokens', 'POST', /^\/_emulator\/tokens$/i, (req, { core }) => {
    const body = parse(TokenSchema, req);
    if (!core.tenant.directoryObject(body.principalId)) throw new EmulatorHttpError(400, 'UnknownPrincipal', `no principal ${body.principalId} in the tenant`);
    const { token, claims } = core.tokens.mint({
      principalId: body.principalId,
      tenantId: core.tenant.tenantId,
      audience: body.audience,
      kind: body.kind,
      lifetimeSeconds: body.lifetimeSeconds ?? core.tokenLifetimeSeconds,
    });
    return json(200, { access_token: token, expires_on: String(claims.exp) });
  }),
  control('mail', 'GET', /^\/_emulator\/mail$/i, (_req, { core }) => json(200, { value: core.mail.list() })),
  control('mail.clear', 'DELETE', /^\/_emulator\/mail$/i, (_req, { core }) => {
    core.mail.clear();
    return json(204);
  }),
];
