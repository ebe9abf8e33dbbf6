import fc from 'fast-check';
import type { EmulatorCore } from '../../emulator/core.ts';
import type { Interceptor } from '../../emulator/faults/faults.ts';
import { authenticate } from '../../emulator/identity/authenticate.ts';
import type { EmulatorResponse } from '../../emulator/server/exchange.ts';
import { matchRoute } from '../../emulator/server/route.ts';

/**
 * Mutated API responses for fuzzing the bot's reads: the emulator computes the true answer to a request (same route,
 * same caller, same permission checks), then one mutation is applied to it before it is sent. A mutation is plain
 * data, so fast-check can generate, shrink and print it.
 */
export type Mutation =
  | { kind: 'remove'; at: number }
  | { kind: 'retype'; at: number; choice: number }
  | { kind: 'null'; at: number }
  | { kind: 'extra'; at: number; key: string; value: unknown }
  | { kind: 'huge'; at: number; length: number }
  | { kind: 'truncate'; fraction: number }
  | { kind: 'content-type'; contentType: string }
  | { kind: 'odd-case'; upper: boolean }
  | { kind: 'next-link'; origin: string };

/** Which requests of a route to mutate: every one, or only the nth (1-based) after the rule is installed. */
export interface MutationTarget {
  route: string;
  nth?: number;
  mutation: Mutation;
}

export function mutationArbitrary(hostileOrigins: readonly string[]): fc.Arbitrary<Mutation> {
  const at = fc.nat({ max: 10_000 });
  return fc.oneof(
    { weight: 3, arbitrary: at.map((index): Mutation => ({ kind: 'remove', at: index })) },
    { weight: 3, arbitrary: fc.tuple(at, fc.nat({ max: 100 })).map(([index, choice]): Mutation => ({ kind: 'retype', at: index, choice })) },
    { weight: 2, arbitrary: at.map((index): Mutation => ({ kind: 'null', at: index })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(at, fc.string({ minLength: 1, maxLength: 10 }).filter((key) => key !== '__proto__'), fc.jsonValue({ maxDepth: 2 }))
        .map(([index, key, value]): Mutation => ({ kind: 'extra', at: index, key, value })),
    },
    { weight: 2, arbitrary: fc.tuple(at, fc.constantFrom(4_096, 262_144, 1_048_576)).map(([index, length]): Mutation => ({ kind: 'huge', at: index, length })) },
    { weight: 1, arbitrary: fc.double({ min: 0, max: 0.999, noNaN: true }).map((fraction): Mutation => ({ kind: 'truncate', fraction })) },
    { weight: 1, arbitrary: fc.constantFrom('text/plain', 'text/html; charset=utf-8', 'application/xml', 'application/octet-stream').map((contentType): Mutation => ({ kind: 'content-type', contentType })) },
    { weight: 1, arbitrary: fc.boolean().map((upper): Mutation => ({ kind: 'odd-case', upper })) },
    { weight: 2, arbitrary: fc.constantFrom(...hostileOrigins).map((origin): Mutation => ({ kind: 'next-link', origin })) },
  );
}

type Json = unknown;
type Path = (string | number)[];

/** Every node below the root, depth first, with its path. */
function nodes(value: Json, path: Path = []): { path: Path; value: Json }[] {
  const children: [string | number, Json][] = Array.isArray(value) ? value.map((item, index) => [index, item]) : typeof value === 'object' && value !== null ? Object.entries(value) : [];
  return children.flatMap(([key, child]) => [{ path: [...path, key], value: child }, ...nodes(child, [...path, key])]);
}

function parentOf(root: Json, path: Path): Record<string | number, Json> {
  return path.slice(0, -1).reduce<Json>((node, key) => (node as Record<string | number, Json>)[key], root) as Record<string | number, Json>;
}

function pick<T>(items: readonly T[], at: number): T | undefined {
  return items.length === 0 ? undefined : items[at % items.length];
}

/**
 * Values of each JSON type; a retyped value is one of another type than the original. (`[]` for a list would be a
 * different truth, "nothing found", not a malformed answer.)
 */
const WRONG_TYPES: unknown[] = [42, -1.5, true, 'text', '', [1, 2], ['a'], { unexpected: true }];
const jsonType = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

const ID_LIKE = /^(\/|[0-9a-f]{8}-[0-9a-f]{4}-)/i;

/** The mutated answer, or undefined when the mutation has nothing to act on in this body (the truth is sent). */
export function applyMutation(truth: EmulatorResponse, mutation: Mutation, service: 'arm' | 'graph' | 'resource-graph'): EmulatorResponse | undefined {
  const body = structuredClone(truth.body);
  const all = nodes(body);
  const json = (mutated: Json): EmulatorResponse => ({ ...truth, body: mutated });
  switch (mutation.kind) {
    case 'remove': {
      // Fields, not array items: an item left out is a different truth, not a malformed answer.
      const target = pick(all.filter(({ path }) => typeof path.at(-1) === 'string'), mutation.at);
      if (!target) return json(undefined);
      delete parentOf(body, target.path)[target.path.at(-1)!];
      return json(body);
    }
    case 'retype': {
      const target = pick(all, mutation.at) ?? { path: [], value: body };
      const value = pick(WRONG_TYPES.filter((candidate) => jsonType(candidate) !== jsonType(target.value)), mutation.choice);
      if (target.path.length === 0) return json(value);
      parentOf(body, target.path)[target.path.at(-1)!] = value;
      return json(body);
    }
    case 'null': {
      const target = pick(all, mutation.at);
      if (!target) return json(null);
      parentOf(body, target.path)[target.path.at(-1)!] = null;
      return json(body);
    }
    case 'extra': {
      const objects = [{ path: [] as Path, value: body }, ...all].filter(({ value }) => typeof value === 'object' && value !== null && !Array.isArray(value));
      const target = pick(objects, mutation.at);
      if (!target) return undefined;
      (target.value as Record<string, Json>)[mutation.key] = mutation.value;
      return json(body);
    }
    case 'huge': {
      const target = pick(all.filter(({ value }) => typeof value === 'string'), mutation.at);
      if (!target) return undefined;
      const text = target.value as string;
      parentOf(body, target.path)[target.path.at(-1)!] = text.padEnd(mutation.length, text || 'x');
      return json(body);
    }
    case 'truncate': {
      const text = JSON.stringify(body) ?? '';
      return { status: truth.status, headers: { ...truth.headers, 'content-type': 'application/json; charset=utf-8' }, body: text.slice(0, Math.floor(text.length * mutation.fraction)) };
    }
    case 'content-type':
      return { status: truth.status, headers: { ...truth.headers, 'content-type': mutation.contentType }, body: JSON.stringify(body) ?? '' };
    case 'odd-case': {
      const ids = all.filter(({ value }) => typeof value === 'string' && ID_LIKE.test(value));
      if (ids.length === 0) return undefined;
      for (const { path, value } of ids) parentOf(body, path)[path.at(-1)!] = mutation.upper ? (value as string).toUpperCase() : swapCase(value as string);
      return json(body);
    }
    case 'next-link': {
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
      const page = body as Record<string, Json>;
      // ARM's nextLink, Graph's @odata.nextLink, Resource Graph's $skipToken (an opaque token, never a URL to follow).
      const key = { arm: 'nextLink', graph: '@odata.nextLink', 'resource-graph': '$skipToken' }[service];
      page[key] = `${mutation.origin}/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$skipToken=2`;
      return json(page);
    }
  }
}

const swapCase = (text: string) => [...text].map((char) => (char === char.toUpperCase() ? char.toLowerCase() : char.toUpperCase())).join('');

/**
 * An interceptor that answers the targeted requests with a mutation of their true answer. Requests the route would
 * refuse (no token, no permission, not found) and non-200 answers pass through untouched: the mutation is of a read
 * that succeeded. `applied` counts the requests it mutated.
 */
export function mutatingInterceptor(core: EmulatorCore, target: MutationTarget): { intercept: Interceptor; applied: () => number } {
  let seen = 0;
  let applied = 0;
  const intercept: Interceptor = async (req, route) => {
    if (!route || route.name !== target.route) return undefined;
    seen += 1;
    if (target.nth !== undefined && seen !== target.nth) return undefined;
    let truth: EmulatorResponse;
    try {
      const matched = matchRoute([route], req.method, req.path)!;
      const probe = { ...req, body: req.rawBody ? (JSON.parse(req.rawBody) as unknown) : undefined };
      const caller = route.anonymous ? undefined : authenticate(probe, core.tokens, core.tenant.tenantId);
      truth = await route.handle(probe, { core, caller, params: matched.params });
    } catch {
      return undefined;
    }
    if (truth.status !== 200 || typeof truth.body !== 'object' || truth.body === null) return undefined;
    const service = route.name.startsWith('graph.') ? 'graph' : route.name.startsWith('resourceGraph.') ? 'resource-graph' : 'arm';
    const mutated = applyMutation(truth, target.mutation, service);
    if (!mutated) return undefined;
    applied += 1;
    return { kind: 'respond', response: mutated };
  };
  return { intercept, applied: () => applied };
}
