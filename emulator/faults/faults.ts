import { randomUUID } from 'node:crypto';
import type { EmulatorRequest, EmulatorResponse } from '../server/exchange.ts';
import type { Route } from '../server/route.ts';

/**
 * One injected behaviour: latency, a canned response, or a dropped connection, for the requests it matches.
 * Throttling and fault scenarios are written as these rules rather than as special cases in routes.
 */
export interface FaultRule {
  id?: string;
  /** Route name or name prefix, e.g. `arm.roleAssignments` or `graph.getByIds`. */
  route?: string;
  method?: string;
  /** Regular expression tested against the canonical path (case-insensitive). */
  path?: string;
  /** Let this many matching requests through untouched first. */
  after?: number;
  /** Apply to this many matching requests (after `after`), then retire; unlimited when absent. */
  times?: number;
  latencyMs?: number;
  response?: EmulatorResponse;
  /** Close the socket without answering. */
  drop?: boolean;
}

export type Intercept = { kind: 'respond'; response: EmulatorResponse } | { kind: 'drop' };

/** A hook the server consults for every request before authentication; returns what to do instead, if anything. */
export type Interceptor = (req: EmulatorRequest, route: Route | undefined) => Promise<Intercept | undefined>;

interface ActiveRule extends FaultRule {
  id: string;
  seen: number;
  applied: number;
}

export class FaultInjector {
  private rules: ActiveRule[] = [];

  add(rule: FaultRule): string {
    const active: ActiveRule = { ...rule, id: rule.id ?? randomUUID(), seen: 0, applied: 0 };
    this.rules.push(active);
    return active.id;
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((rule) => rule.id !== id);
    return this.rules.length < before;
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRule[] {
    return this.rules.map(({ seen: _seen, applied: _applied, ...rule }) => rule);
  }

  /** How often each rule has fired, by id. */
  counts(): Record<string, number> {
    return Object.fromEntries(this.rules.map((rule) => [rule.id, rule.applied]));
  }

  readonly intercept: Interceptor = async (req, route) => {
    for (const rule of this.rules) {
      if (!matches(rule, req, route)) continue;
      rule.seen += 1;
      if (rule.seen <= (rule.after ?? 0)) continue;
      if (rule.times !== undefined && rule.applied >= rule.times) continue;
      rule.applied += 1;
      if (rule.latencyMs) await new Promise((resolve) => setTimeout(resolve, rule.latencyMs));
      if (rule.drop) return { kind: 'drop' };
      if (rule.response) return { kind: 'respond', response: rule.response };
    }
    return undefined;
  };
}

function matches(rule: FaultRule, req: EmulatorRequest, route: Route | undefined): boolean {
  if (rule.method && rule.method.toUpperCase() !== req.method) return false;
  if (rule.route && !(route && (route.name === rule.route || route.name.startsWith(`${rule.route}.`)))) return false;
  if (rule.path && !new RegExp(rule.path, 'i').test(req.path)) return false;
  return true;
}
