import type { Interceptor } from '../faults/faults.ts';
import type { EmulatorRequest, EmulatorResponse } from '../server/exchange.ts';
import type { Route } from '../server/route.ts';
import { ceilSeconds, monotonicNow, wholeSeconds, type Now } from './clock.ts';
import { identityPath, resourceUnits } from './graph-cost.ts';
import { DEFAULT_LIMITS, type ThrottlingLimits } from './limits.ts';
import { TokenBucket } from './token-bucket.ts';
import { WindowQuota } from './window-quota.ts';

/** Who is calling, from the bearer token: requests without a valid token are not throttled (they get their 401). */
export interface ThrottledCaller {
  principalId: string;
  /** The application (client) id: Graph meters per application and tenant. */
  appId: string | undefined;
  tenantId: string;
}

export type ThrottledService = 'arm' | 'resourceGraph' | 'graph';

export interface ThrottlingStats {
  enabled: boolean;
  limits: ThrottlingLimits;
  /** 429 answers given since throttling was last switched on or reset. */
  throttled: Record<ThrottledService, number>;
}

type ArmOperation = 'reads' | 'writes' | 'deletes';

const ARM_OPERATION: Record<string, ArmOperation> = { GET: 'reads', HEAD: 'reads', DELETE: 'deletes' };
const ARM_OPERATION_WORD: Record<ArmOperation, string> = { reads: 'read', writes: 'write', deletes: 'delete' };

/**
 * The platform's request limits as an interceptor (after fault injection, before authentication): ARM's token
 * buckets, Resource Graph's query window and Graph's resource units, each answering 429 with `Retry-After` in
 * its own body shape and reporting what is left in its own headers on every answer. Off until switched on.
 */
export class Throttling {
  private enabledValue = false;
  private limitsValue: ThrottlingLimits = DEFAULT_LIMITS;
  private buckets = new Map<string, TokenBucket>();
  private windows = new Map<string, WindowQuota>();
  private counts: Record<ThrottledService, number> = { arm: 0, resourceGraph: 0, graph: 0 };

  constructor(
    private readonly identify: (req: EmulatorRequest) => ThrottledCaller | undefined,
    private readonly now: Now = monotonicNow,
  ) {}

  /** Switches throttling on with these limits, every bucket full and the counts at zero. */
  enable(limits: ThrottlingLimits = DEFAULT_LIMITS): void {
    this.limitsValue = limits;
    this.enabledValue = true;
    this.reset();
  }

  disable(): void {
    this.enabledValue = false;
    this.reset();
  }

  /** Full buckets, fresh windows, no 429s counted. */
  reset(): void {
    this.buckets = new Map();
    this.windows = new Map();
    this.counts = { arm: 0, resourceGraph: 0, graph: 0 };
  }

  stats(): ThrottlingStats {
    return { enabled: this.enabledValue, limits: this.limitsValue, throttled: { ...this.counts } };
  }

  readonly intercept: Interceptor = async (req, route) => {
    if (!this.enabledValue || (req.service !== 'arm' && req.service !== 'graph')) return undefined;
    const caller = this.identify(req);
    if (!caller) return undefined;
    const response = req.service === 'graph' ? this.graph(req, caller) : isResourceGraph(route) ? this.resourceGraph(req, caller) : this.arm(req, caller);
    return response ? { kind: 'respond', response } : undefined;
  };

  private arm(req: EmulatorRequest, caller: ThrottledCaller): EmulatorResponse | undefined {
    const operation = ARM_OPERATION[req.method] ?? 'writes';
    const limit = this.limitsValue.arm[operation];
    const subscriptionId = /^\/subscriptions\/([^/]+)/i.exec(req.path)?.[1]?.toLowerCase();
    const principal = caller.principalId.toLowerCase();
    const own = this.bucket(`arm ${subscriptionId ?? `tenant ${caller.tenantId}`} ${principal} ${operation}`, limit);
    const shared = subscriptionId
      ? this.bucket(`arm ${subscriptionId} global ${operation}`, {
          capacity: limit.capacity * this.limitsValue.arm.globalMultiplier,
          refillPerSecond: limit.refillPerSecond * this.limitsValue.arm.globalMultiplier,
        })
      : undefined;
    const waitMs = Math.max(own.waitMs(1), shared?.waitMs(1) ?? 0);
    const level = subscriptionId ? 'subscription' : 'tenant';
    if (waitMs > 0) {
      this.counts.arm += 1;
      const word = ARM_OPERATION_WORD[operation];
      const retryAfter = wholeSeconds(waitMs);
      return {
        status: 429,
        headers: { 'retry-after': retryAfter, ...armRemaining(level, operation, own, shared) },
        body: {
          error: {
            code: subscriptionId ? 'SubscriptionRequestsThrottled' : 'TenantRequestsThrottled',
            message: `Number of '${word}' requests for ${level} '${subscriptionId ?? caller.tenantId}' actor '${principal}' exceeded. Please try again after '${retryAfter}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling for additional information.`,
          },
        },
      };
    }
    own.take(1);
    shared?.take(1);
    req.addedResponseHeaders = { ...req.addedResponseHeaders, ...armRemaining(level, operation, own, shared) };
    return undefined;
  }

  private resourceGraph(req: EmulatorRequest, caller: ThrottledCaller): EmulatorResponse | undefined {
    const key = `resourceGraph ${caller.principalId.toLowerCase()}`;
    let quota = this.windows.get(key);
    if (!quota) this.windows.set(key, (quota = new WindowQuota(this.limitsValue.resourceGraph, this.now)));
    const verdict = quota.take();
    const headers = { 'x-ms-user-quota-remaining': String(verdict.remaining), 'x-ms-user-quota-resets-after': hhmmss(verdict.resetsAfterMs) };
    if (verdict.allowed) {
      req.addedResponseHeaders = { ...req.addedResponseHeaders, ...headers };
      return undefined;
    }
    this.counts.resourceGraph += 1;
    return {
      status: 429,
      headers: { 'retry-after': wholeSeconds(verdict.resetsAfterMs), ...headers },
      body: {
        error: {
          code: 'RateLimiting',
          message: `Please provide below info when asking for support: timestamp = ${req.receivedAt.toISOString()}, correlationId = ${req.requestId}.`,
          details: [
            {
              code: 'RateLimiting',
              message: 'Client application has been throttled and should not attempt to repeat the request until an amount of time has elapsed. Please see https://aka.ms/resourcegraph-throttling for help.',
            },
          ],
        },
      },
    };
  }

  private graph(req: EmulatorRequest, caller: ThrottledCaller): EmulatorResponse | undefined {
    const path = identityPath(req.path);
    if (path === undefined) return undefined;
    const cost = resourceUnits(req.method, path, req.query);
    const application = (caller.appId ?? caller.principalId).toLowerCase();
    const bucket = this.bucket(`graph ${application} ${caller.tenantId}`, this.limitsValue.graph);
    const waitMs = bucket.waitMs(cost);
    if (waitMs > 0) {
      this.counts.graph += 1;
      const clientRequestId = req.headers['client-request-id'];
      return {
        status: 429,
        headers: {
          'retry-after': (Math.ceil(waitMs) / 1000).toFixed(3),
          'x-ms-throttle-scope': `Tenant_Application/ReadWrite/${application}/${caller.tenantId}`,
          'x-ms-throttle-information': 'ResourceUnitLimitExceeded',
        },
        body: {
          error: {
            code: 'TooManyRequests',
            message: 'Please retry again later.',
            innerError: {
              code: '429',
              date: req.receivedAt.toISOString().slice(0, 19),
              message: 'Please retry after',
              'request-id': req.requestId,
              'client-request-id': typeof clientRequestId === 'string' ? clientRequestId : req.requestId,
              status: '429',
            },
          },
        },
      };
    }
    bucket.take(cost);
    const used = 1 - bucket.remaining() / bucket.limit.capacity;
    req.addedResponseHeaders = {
      ...req.addedResponseHeaders,
      'x-ms-resource-unit': String(cost),
      // Sent only past 80 % of the limit, as Graph does, so a client can slow down before the 429s.
      ...(used > 0.8 ? { 'x-ms-throttle-limit-percentage': used.toFixed(1) } : {}),
    };
    return undefined;
  }

  private bucket(key: string, limit: TokenBucket['limit']): TokenBucket {
    let bucket = this.buckets.get(key);
    if (!bucket) this.buckets.set(key, (bucket = new TokenBucket(limit, this.now)));
    return bucket;
  }
}

const isResourceGraph = (route: Route | undefined) => route?.name.startsWith('resourceGraph.') ?? false;

function armRemaining(level: 'subscription' | 'tenant', operation: ArmOperation, own: TokenBucket, shared: TokenBucket | undefined): Record<string, string> {
  return {
    [`x-ms-ratelimit-remaining-${level}-${operation}`]: String(own.remaining()),
    ...(shared ? { [`x-ms-ratelimit-remaining-${level}-global-${operation}`]: String(shared.remaining()) } : {}),
  };
}

/** `x-ms-user-quota-resets-after` is a duration as hh:mm:ss. */
function hhmmss(milliseconds: number): string {
  const total = ceilSeconds(milliseconds);
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${pad(Math.floor(total / 3600))}:${pad(Math.floor((total % 3600) / 60))}:${pad(total % 60)}`;
}
