import { DevOpsError, notImplemented } from './azure-devops-wire.ts';

/**
 * The small part of WIQL (Work Item Query Language) the emulator answers: a flat query over WorkItems,
 *   SELECT [f], ... FROM WorkItems [WHERE cond AND cond ...] [ORDER BY [f] [ASC|DESC], ...]
 * where a condition is `[field] = | <> | CONTAINS 'text'`, `[System.TeamProject] = @project`, or a date comparison
 * `[System.ChangedDate] >= | > | <= | < 'ISO 8601'` (System.ChangedDate, System.CreatedDate): by day unless the query
 * is run with `timePrecision=true`, and a time given without it is refused, as Azure DevOps does.
 * `[System.Tags] CONTAINS 'x'` matches a whole tag, case-insensitively; CONTAINS on other fields is a
 * case-insensitive substring. OR, parentheses, other operators and macros, and link queries are refused
 * (400, NotImplementedByEmulator) rather than answered with a guess.
 */

export interface WiqlCondition {
  field: string;
  operator: '=' | '<>' | 'CONTAINS' | DateOperator;
  value: string | number | { macro: 'project' };
}

type DateOperator = '>=' | '>' | '<=' | '<';
const DATE_OPERATORS = new Set(['>=', '>', '<=', '<']);
const DATE_FIELDS = new Set(['system.changeddate', 'system.createddate']);

export interface WiqlQuery {
  fields: string[];
  where: WiqlCondition[];
  orderBy: { field: string; descending: boolean }[];
}

const TOKEN = /\s*(\[[^\]]*\]|'(?:[^']|'')*'|@\w+|<>|[=<>]=?|,|\(|\)|[A-Za-z_][\w.]*|\d+)/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const match = TOKEN.exec(text);
    if (!match) throw notImplemented(`WIQL near '${text.slice(TOKEN.lastIndex, TOKEN.lastIndex + 20).trim()}'`);
    tokens.push(match[1]!);
  }
  return tokens;
}

class Reader {
  private position = 0;
  constructor(private readonly tokens: string[]) {}

  peek(): string | undefined {
    return this.tokens[this.position];
  }

  next(): string {
    const token = this.tokens[this.position++];
    if (token === undefined) throw notImplemented('a WIQL query that ends early');
    return token;
  }

  keyword(word: string): boolean {
    if (this.peek()?.toUpperCase() !== word) return false;
    this.position += 1;
    return true;
  }

  expect(word: string): void {
    if (!this.keyword(word)) throw notImplemented(`WIQL with '${this.peek() ?? 'end of query'}' where ${word} was expected`);
  }

  field(): string {
    const token = this.next();
    const name = token.startsWith('[') ? token.slice(1, -1).trim() : token;
    if (!/^[A-Za-z][\w.]*$/.test(name)) throw notImplemented(`the WIQL field reference '${token}'`);
    return name;
  }

  done(): boolean {
    return this.position >= this.tokens.length;
  }
}

function value(reader: Reader): WiqlCondition['value'] {
  const token = reader.next();
  if (token.startsWith("'")) return token.slice(1, -1).replace(/''/g, "'");
  if (/^\d+$/.test(token)) return Number(token);
  if (token.toLowerCase() === '@project') return { macro: 'project' };
  throw notImplemented(`the WIQL value ${token}`);
}

function condition(reader: Reader): WiqlCondition {
  if (reader.peek() === '(') throw notImplemented('WIQL with parentheses');
  const field = reader.field();
  const token = reader.next().toUpperCase();
  if (DATE_OPERATORS.has(token)) {
    if (!DATE_FIELDS.has(field.toLowerCase())) throw notImplemented(`the WIQL operator ${token} on ${field}`);
    const compared = value(reader);
    if (typeof compared !== 'string' || !Number.isFinite(Date.parse(compared))) throw notImplemented(`the WIQL date value ${JSON.stringify(compared)}`);
    return { field, operator: token as DateOperator, value: compared };
  }
  if (token !== '=' && token !== '<>' && token !== 'CONTAINS') throw notImplemented(`the WIQL operator ${token}`);
  return { field, operator: token, value: value(reader) };
}

export function parseWiql(text: string): WiqlQuery {
  const reader = new Reader(tokenize(text));
  reader.expect('SELECT');
  const fields = [reader.field()];
  while (reader.keyword(',')) fields.push(reader.field());
  reader.expect('FROM');
  if (!reader.keyword('WORKITEMS')) throw notImplemented(`WIQL FROM ${reader.peek() ?? ''} (only FROM WorkItems)`);
  const where: WiqlCondition[] = [];
  if (reader.keyword('WHERE')) {
    where.push(condition(reader));
    while (reader.keyword('AND')) where.push(condition(reader));
    if (reader.peek()?.toUpperCase() === 'OR') throw notImplemented('WIQL with OR');
  }
  const orderBy: WiqlQuery['orderBy'] = [];
  if (reader.keyword('ORDER')) {
    reader.expect('BY');
    do {
      const field = reader.field();
      const descending = reader.keyword('DESC');
      if (!descending) reader.keyword('ASC');
      orderBy.push({ field, descending });
    } while (reader.keyword(','));
  }
  if (!reader.done()) throw notImplemented(`WIQL '${reader.peek()}' after the query`);
  return { fields, where, orderBy };
}

/** Splits a System.Tags value ("a; b") into its tags. */
export const tagsOf = (value: unknown) =>
  String(value ?? '')
    .split(/[;,]/)
    .map((tag) => tag.trim())
    .filter((tag) => tag.length > 0);

/** Date comparisons carry a time only under `timePrecision=true`; Azure DevOps refuses a time otherwise. */
export function assertDatePrecision(query: WiqlQuery, timePrecision: boolean): void {
  if (timePrecision) return;
  const timed = query.where.find((condition) => DATE_OPERATORS.has(condition.operator) && /T|\d:\d/.test(String(condition.value)));
  if (timed) {
    throw new DevOpsError(
      400,
      `You cannot supply a time with the date when running a query using date precision. The error is caused by «[${timed.field}] ${timed.operator} '${String(timed.value)}'».`,
      'InvalidQueryException',
    );
  }
}

export function matches(fields: Record<string, unknown>, condition: WiqlCondition, project: string, timePrecision = false): boolean {
  const actual = Object.entries(fields).find(([name]) => name.toLowerCase() === condition.field.toLowerCase())?.[1];
  const expected = typeof condition.value === 'object' ? project : condition.value;
  if (DATE_OPERATORS.has(condition.operator)) {
    // By day unless timePrecision; a field the item lacks (or no date) matches nothing.
    const instant = (text: unknown) => {
      const at = Date.parse(String(text));
      return timePrecision || !Number.isFinite(at) ? at : Date.parse(new Date(at).toISOString().slice(0, 10));
    };
    const [left, right] = [instant(actual), instant(expected)];
    if (!Number.isFinite(left)) return false;
    if (condition.operator === '>=') return left >= right;
    if (condition.operator === '>') return left > right;
    if (condition.operator === '<=') return left <= right;
    return left < right;
  }
  if (condition.operator === 'CONTAINS') {
    const wanted = String(expected).toLowerCase();
    if (condition.field.toLowerCase() === 'system.tags') return tagsOf(actual).some((tag) => tag.toLowerCase() === wanted);
    return String(actual ?? '').toLowerCase().includes(wanted);
  }
  const equal = String(actual ?? '').toLowerCase() === String(expected).toLowerCase();
  return condition.operator === '=' ? equal : !equal;
}
