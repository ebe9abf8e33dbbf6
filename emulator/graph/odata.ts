import { EmulatorHttpError, NotImplementedByEmulator } from '../server/errors.ts';
import { header, json, type EmulatorRequest, type EmulatorResponse } from '../server/exchange.ts';

/**
 * The OData query options the Graph routes share: $select, $top, $skiptoken, $count and a small
 * $filter subset, with Graph's own error codes. Anything a route does not understand is refused
 * plainly rather than ignored.
 */

export type GraphVersion = 'v1.0' | 'beta';
export type Entity = Record<string, unknown>;

export const versionOf = (params: Record<string, string>): GraphVersion => (params['version']?.toLowerCase() === 'beta' ? 'beta' : 'v1.0');

export const contextUrl = (req: EmulatorRequest, version: GraphVersion, fragment: string) => `${req.baseUrl}/${version}/$metadata#${fragment}`;

/** Refuses (501) every `$option` the route does not list (spelt as listed), so a query is never half-answered. */
export function allowQueryOptions(req: EmulatorRequest, operation: string, allowed: readonly string[]): void {
  for (const key of req.query.keys()) {
    if (key.startsWith('$') && !allowed.includes(key)) throw new NotImplementedByEmulator(`the ${key} query option on ${operation}`);
  }
}

// ---- $select ----

export function requestedSelect(req: EmulatorRequest): string[] | undefined {
  const raw = req.query.get('$select');
  if (raw === null) return undefined;
  const names = raw.split(',').map((name) => name.trim()).filter((name) => name.length > 0);
  return names.length > 0 ? names : undefined;
}

/** Maps requested names to the entities' own property names (Graph matches them case-insensitively). */
function canonicalSelect(select: string[], entities: readonly Entity[], typeName: string): string[] {
  if (entities.length === 0) return select;
  const known = new Map<string, string>();
  for (const entity of entities) for (const key of Object.keys(entity)) known.set(key.toLowerCase(), key);
  return select.map((name) => {
    const canonical = known.get(name.toLowerCase());
    if (!canonical) throw new EmulatorHttpError(400, 'Request_BadRequest', `Could not find a property named '${name}' on type 'microsoft.graph.${typeName}'.`);
    return canonical;
  });
}

function project(entity: Entity, select: string[] | undefined): Entity {
  if (!select) return entity;
  const projected: Entity = {};
  if ('@odata.type' in entity) projected['@odata.type'] = entity['@odata.type'];
  for (const name of select) if (name in entity) projected[name] = entity[name];
  return projected;
}

// ---- paging ----

export interface PageLimits {
  defaultTop: number;
  maxTop: number;
}

export const DIRECTORY_PAGE: PageLimits = { defaultTop: 100, maxTop: 999 };

function pageSize(req: EmulatorRequest, limits: PageLimits): number {
  const raw = req.query.get('$top');
  if (raw === null) return limits.defaultTop;
  const top = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(top) || top < 1 || top > limits.maxTop) {
    throw new EmulatorHttpError(400, 'Request_BadRequest', `Invalid page size specified: '${raw}'. Must be between 1 and ${limits.maxTop} inclusive.`);
  }
  return top;
}

const encodeSkipToken = (offset: number) => Buffer.from(JSON.stringify({ offset })).toString('base64url');

function decodeSkipToken(token: string): number {
  try {
    const { offset } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { offset?: unknown };
    if (typeof offset === 'number' && Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // falls through to the error below
  }
  throw new EmulatorHttpError(400, 'Request_BadRequest', `The value '${token}' of the $skiptoken query option is not valid.`);
}

/** The same request with another $skiptoken, absolute and on the emulator's own base URL. */
function nextLink(req: EmulatorRequest, offset: number): string {
  const parts: string[] = [];
  for (const [key, value] of req.query) if (key.toLowerCase() !== '$skiptoken') parts.push(`${key}=${encodeURIComponent(value)}`);
  parts.push(`$skiptoken=${encodeSkipToken(offset)}`);
  return `${req.baseUrl}${req.path}?${parts.join('&')}`;
}

/** `$count=true` counts only in an advanced query (ConsistencyLevel: eventual); otherwise Graph ignores it. */
const countRequested = (req: EmulatorRequest) =>
  req.query.get('$count')?.toLowerCase() === 'true' && header(req, 'consistencylevel')?.toLowerCase() === 'eventual';

export interface CollectionRequest<T> {
  version: GraphVersion;
  /** The metadata fragment, e.g. `servicePrincipals` or `directoryObjects`. */
  context: string;
  /** The entity type for error messages, e.g. `servicePrincipal`. */
  typeName: string;
  items: readonly T[];
  render: (item: T) => Entity;
  limits?: PageLimits;
}

/** One page of a collection with @odata.context, @odata.count and an absolute @odata.nextLink. */
export function collection<T>(req: EmulatorRequest, request: CollectionRequest<T>): EmulatorResponse {
  const limits = request.limits ?? DIRECTORY_PAGE;
  const top = pageSize(req, limits);
  const skipToken = req.query.get('$skiptoken');
  const offset = skipToken === null ? 0 : decodeSkipToken(skipToken);
  const rendered = request.items.slice(offset, offset + top).map(request.render);
  const requested = requestedSelect(req);
  const select = requested && canonicalSelect(requested, rendered, request.typeName);
  const body: Entity = { '@odata.context': contextUrl(req, request.version, select ? `${request.context}(${select.join(',')})` : request.context) };
  if (countRequested(req)) body['@odata.count'] = request.items.length;
  if (offset + top < request.items.length) body['@odata.nextLink'] = nextLink(req, offset + top);
  body['value'] = rendered.map((entity) => project(entity, select));
  return json(200, body);
}

/** A single entity with its `$entity` context. */
export function entity(req: EmulatorRequest, version: GraphVersion, context: string, typeName: string, rendered: Entity): EmulatorResponse {
  const requested = requestedSelect(req);
  const select = requested && canonicalSelect(requested, [rendered], typeName);
  return json(200, {
    '@odata.context': contextUrl(req, version, `${select ? `${context}(${select.join(',')})` : context}/$entity`),
    ...project(rendered, select),
  });
}

// ---- $filter ----

export type FilterOperator = 'eq' | 'in' | 'startswith';

export interface FilterSpec<T> {
  /** Graph's resource name in error messages, e.g. `ServicePrincipal`. */
  resource: string;
  properties: Record<string, { operators: readonly FilterOperator[]; value: (item: T) => string | null | undefined }>;
}

type Token = { kind: 'word'; text: string } | { kind: 'string'; text: string } | { kind: 'punct'; text: '(' | ')' | ',' };

function tokenize(expression: string): Token[] | undefined {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expression.length) {
    const char = expression[i]!;
    if (/\s/.test(char)) {
      i += 1;
    } else if (char === '(' || char === ')' || char === ',') {
      tokens.push({ kind: 'punct', text: char });
      i += 1;
    } else if (char === "'") {
      let text = '';
      i += 1;
      for (;;) {
        if (i >= expression.length) return undefined;
        if (expression[i] === "'") {
          if (expression[i + 1] === "'") {
            text += "'";
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        text += expression[i];
        i += 1;
      }
      tokens.push({ kind: 'string', text });
    } else {
      const word = /^[A-Za-z_][\w./]*/.exec(expression.slice(i));
      if (!word) return undefined;
      tokens.push({ kind: 'word', text: word[0] });
      i += word[0].length;
    }
  }
  return tokens;
}

interface Clause {
  property: string;
  operator: FilterOperator;
  /** null stands for an unquoted literal. */
  values: (string | null)[];
}

/**
 * Parses `prop eq 'v'`, `prop in ('a','b')` and `startswith(prop,'v')` joined by `and`; every other
 * form is refused with Graph's Request_UnsupportedQuery, naming what the emulator understands.
 */
export function parseFilter<T>(expression: string | null, spec: FilterSpec<T>): (item: T) => boolean {
  if (expression === null || expression.trim() === '') return () => true;
  const supported = Object.entries(spec.properties)
    .map(([name, { operators }]) => `${name} (${operators.join(', ')})`)
    .join('; ');
  const unsupported = () =>
    new EmulatorHttpError(400, 'Request_UnsupportedQuery', `Unsupported query filter '${expression}'. The idwarden emulator understands only clauses joined by 'and' on: ${supported}.`);
  const tokens = tokenize(expression);
  if (!tokens) throw unsupported();
  const clauses: Clause[] = [];
  let i = 0;
  const next = () => tokens[i++];
  const expect = (text: string) => {
    const token = next();
    if (!token || token.text.toLowerCase() !== text || token.kind === 'string') throw unsupported();
  };
  // Unquoted literals (true, null, numbers) parse so the property can be judged first; only strings compare.
  const literal = () => {
    const token = next();
    if (token?.kind === 'string') return token.text;
    if (token?.kind === 'word') return null;
    throw unsupported();
  };
  for (;;) {
    const first = next();
    if (first?.kind !== 'word') throw unsupported();
    if (first.text.toLowerCase() === 'startswith') {
      expect('(');
      const property = next();
      if (property?.kind !== 'word') throw unsupported();
      expect(',');
      clauses.push({ property: property.text, operator: 'startswith', values: [literal()] });
      expect(')');
    } else {
      const operator = next();
      if (operator?.kind !== 'word') throw unsupported();
      const op = operator.text.toLowerCase();
      if (op === 'eq') {
        clauses.push({ property: first.text, operator: 'eq', values: [literal()] });
      } else if (op === 'in') {
        expect('(');
        const values: (string | null)[] = [literal()];
        while (tokens[i]?.text === ',') {
          i += 1;
          values.push(literal());
        }
        expect(')');
        clauses.push({ property: first.text, operator: 'in', values });
      } else {
        throw unsupported();
      }
    }
    if (i >= tokens.length) break;
    expect('and');
  }
  const checks = clauses.map((clause) => {
    const entry = Object.entries(spec.properties).find(([name]) => name.toLowerCase() === clause.property.toLowerCase());
    if (!entry || !entry[1].operators.includes(clause.operator)) {
      throw new EmulatorHttpError(
        400,
        'Request_UnsupportedQuery',
        `Unsupported or invalid query filter clause specified for property '${clause.property}' of resource '${spec.resource}'. The idwarden emulator supports: ${supported}.`,
      );
    }
    const strings = clause.values.filter((value) => value !== null);
    if (strings.length < clause.values.length) throw unsupported();
    const valueOf = entry[1].value;
    const wanted = strings.map((value) => value.toLowerCase());
    return (item: T) => {
      const actual = valueOf(item)?.toLowerCase();
      if (actual === undefined || actual === null) return false;
      return clause.operator === 'startswith' ? actual.startsWith(wanted[0]!) : wanted.includes(actual);
    };
  });
  return (item) => checks.every((check) => check(item));
}
