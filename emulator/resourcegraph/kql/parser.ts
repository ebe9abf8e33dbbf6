import type { Expr, NamedExpr, Operator, Query, SortKey } from './ast.ts';
import { KqlError, type KqlErrorCode, type Position } from './errors.ts';
import { AGGREGATE_FUNCTIONS, SCALAR_FUNCTIONS, supportedFunctionList } from './functions.ts';
import { tokenize, type Token } from './tokenizer.ts';
import { STRING_OPERATORS } from './values.ts';

const SUPPORTED_OPERATORS = 'where, project, extend, mv-expand, order by / sort by, limit / take, summarize count() by, count';

/** Operators that open a query without a table name (ARG then reads `resources`). */
const LEADING_OPERATORS = new Set(['where', 'filter', 'project', 'extend', 'mv-expand', 'order', 'sort', 'limit', 'take', 'summarize', 'count']);

/** Real KQL tabular operators the subset does not implement: named in the error rather than called a syntax error. */
const KNOWN_UNSUPPORTED_OPERATORS = new Set([
  'join',
  'union',
  'distinct',
  'top',
  'project-away',
  'project-keep',
  'project-rename',
  'project-reorder',
  'parse',
  'parse-where',
  'parse-kv',
  'mv-apply',
  'make-series',
  'lookup',
  'as',
  'invoke',
  'evaluate',
  'render',
  'sample',
  'sample-distinct',
  'serialize',
  'search',
  'find',
  'getschema',
  'top-nested',
  'top-hitters',
  'facet',
  'fork',
  'partition',
  'range',
  'print',
  'datatable',
  'scan',
  'externaldata',
  'reduce',
  'mvexpand',
]);

/** Real KQL binary operators the subset does not implement. */
const KNOWN_UNSUPPORTED_BINARY = new Set(['matches', 'has_any', 'has_all', 'between', '!between', 'hasprefix', 'hassuffix', '!hasprefix', '!hassuffix']);

const COMPARISON_SYMBOLS = new Set(['==', '!=', '=~', '!~', '<', '<=', '>', '>=']);
const ARITHMETIC_SYMBOLS = new Set(['+', '-', '*', '/', '%']);

/** The column name KQL gives an unnamed expression: a column keeps its name, `a.b['c']` becomes `a_b_c`. */
export function impliedName(expr: Expr): string | undefined {
  if (expr.kind === 'column') return expr.name;
  if (expr.kind === 'member') {
    const target = impliedName(expr.target);
    return target === undefined ? undefined : `${target}_${expr.key}`;
  }
  return undefined;
}

class Parser {
  private index = 0;

  constructor(private readonly tokens: Token[]) {}

  private get current(): Token {
    return this.tokens[this.index]!;
  }

  private peek(offset = 1): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)]!;
  }

  private advance(): Token {
    const token = this.current;
    if (token.kind !== 'eof') this.index++;
    return token;
  }

  private isPunct(text: string): boolean {
    return this.current.kind === 'punct' && this.current.text === text;
  }

  private isWord(text: string): boolean {
    return this.current.kind === 'word' && this.current.text.toLowerCase() === text;
  }

  private error(code: KqlErrorCode, message: string, token: Token = this.current): KqlError {
    return new KqlError(code, message, token.position, token.text);
  }

  private expectPunct(text: string): Token {
    if (!this.isPunct(text)) throw this.error('ParserFailure', `expected '${text}' but found '${this.current.text}'`);
    return this.advance();
  }

  private expectWord(what: string): Token {
    if (this.current.kind !== 'word') throw this.error('ParserFailure', `expected ${what} but found '${this.current.text}'`);
    return this.advance();
  }

  parseQuery(): Query {
    const first = this.current;
    if (first.kind !== 'word') throw this.error('ParserFailure', `a query starts with a table name, found '${first.text}'`);
    if (first.text.toLowerCase() === 'let') throw this.error('UnsupportedOperator', `'let' statements are not supported by the idwarden emulator's Resource Graph`);
    let table: Query['table'];
    const operators: Operator[] = [];
    if (LEADING_OPERATORS.has(first.text.toLowerCase()) && !(this.peek().kind === 'punct' && this.peek().text === '|')) {
      table = { name: 'resources', position: first.position };
      operators.push(this.parseOperator());
    } else {
      this.advance();
      table = { name: first.text, position: first.position };
    }
    while (this.isPunct('|')) {
      this.advance();
      operators.push(this.parseOperator());
    }
    if (this.current.kind !== 'eof') throw this.error('ParserFailure', `unexpected '${this.current.text}' where '|' or the end of the query was expected`);
    return { table, operators };
  }

  private parseOperator(): Operator {
    const token = this.expectWord('a query operator');
    const position = token.position;
    const name = token.text.toLowerCase();
    switch (name) {
      case 'where':
      case 'filter':
        return { kind: 'where', predicate: this.parseExpr(), position };
      case 'project':
        return { kind: 'project', items: this.parseNamedList(), position };
      case 'extend':
        return { kind: 'extend', items: this.parseNamedList(), position };
      case 'mv-expand':
        return this.parseMvExpand(position);
      case 'order':
      case 'sort':
        if (!this.isWord('by')) throw this.error('ParserFailure', `expected 'by' after '${token.text}'`);
        this.advance();
        return { kind: 'order', keys: this.parseSortKeys(), position };
      case 'limit':
      case 'take': {
        const count = this.current;
        if (count.kind !== 'number' || !Number.isInteger(count.value) || (count.value as number) < 0) {
          throw this.error('ParserFailure', `'${token.text}' needs a non-negative whole number of rows`);
        }
        this.advance();
        return { kind: 'limit', count: count.value as number, position };
      }
      case 'summarize':
        return this.parseSummarize(position);
      case 'count':
        return { kind: 'count', position };
      default:
        if (KNOWN_UNSUPPORTED_OPERATORS.has(name)) {
          throw this.error('UnsupportedOperator', `the KQL operator '${token.text}' is not supported by the idwarden emulator's Resource Graph (supported: ${SUPPORTED_OPERATORS})`, token);
        }
        throw this.error('ParserFailure', `'${token.text}' is not a query operator`, token);
    }
  }

  private parseMvExpand(position: Position): Operator {
    if (this.isWord('kind') || this.isWord('bagexpansion') || this.isWord('with_itemindex')) {
      throw this.error('UnsupportedOperator', `mv-expand option '${this.current.text}' is not supported by the idwarden emulator`);
    }
    const item = this.parseNamed();
    if (this.isPunct(',')) throw this.error('UnsupportedOperator', 'mv-expand of more than one expression is not supported by the idwarden emulator');
    if (this.isWord('to') || this.isWord('limit')) {
      throw this.error('UnsupportedOperator', `mv-expand clause '${this.current.text}' is not supported by the idwarden emulator`);
    }
    return { kind: 'mv-expand', item, position };
  }

  private parseSortKeys(): SortKey[] {
    const keys: SortKey[] = [];
    do {
      if (keys.length > 0) this.advance();
      const expr = this.parseExpr();
      // KQL sorts descending unless told otherwise; nulls go first ascending and last descending.
      let descending = true;
      if (this.isWord('asc') || this.isWord('desc')) descending = this.advance().text.toLowerCase() === 'desc';
      let nullsFirst = !descending;
      if (this.isWord('nulls')) {
        this.advance();
        if (!this.isWord('first') && !this.isWord('last')) throw this.error('ParserFailure', "expected 'first' or 'last' after 'nulls'");
        nullsFirst = this.advance().text.toLowerCase() === 'first';
      }
      keys.push({ expr, descending, nullsFirst });
    } while (this.isPunct(','));
    return keys;
  }

  private parseSummarize(position: Position): Operator {
    const aggregates: { name: string; position: Position }[] = [];
    while (!this.isWord('by') && this.current.kind !== 'eof' && !this.isPunct('|')) {
      if (aggregates.length > 0) this.expectPunct(',');
      let alias: string | undefined;
      if (this.current.kind === 'word' && this.peek().kind === 'punct' && this.peek().text === '=') {
        alias = this.advance().text;
        this.advance();
      }
      const call = this.expectWord('an aggregation');
      if (!AGGREGATE_FUNCTIONS.has(call.text)) {
        throw this.error('UnsupportedFunction', `the aggregation '${call.text}' is not supported by the idwarden emulator (supported: count())`, call);
      }
      this.expectPunct('(');
      if (!this.isPunct(')')) throw this.error('UnsupportedFunction', 'count() with an argument is not supported by the idwarden emulator');
      this.advance();
      aggregates.push({ name: alias ?? `${call.text}_`, position: call.position });
    }
    let by: NamedExpr[] = [];
    if (this.isWord('by')) {
      this.advance();
      by = this.parseNamedList();
    }
    if (aggregates.length === 0 && by.length === 0) throw this.error('ParserFailure', "'summarize' needs an aggregation or a 'by' clause");
    return { kind: 'summarize', aggregates, by, position };
  }

  private parseNamedList(): NamedExpr[] {
    const items = [this.parseNamed()];
    while (this.isPunct(',')) {
      this.advance();
      items.push(this.parseNamed());
    }
    return items;
  }

  private parseNamed(): NamedExpr {
    const position = this.current.position;
    if (this.current.kind === 'word' && this.peek().kind === 'punct' && this.peek().text === '=') {
      const name = this.advance().text;
      this.advance();
      return { name, expr: this.parseExpr(), position };
    }
    const expr = this.parseExpr();
    const name = impliedName(expr);
    if (name === undefined) {
      throw new KqlError('InvalidArgument', 'give the expression a column name (name = expression): the idwarden emulator does not invent column names', position, this.tokens[this.index - 1]?.text ?? '');
    }
    return { name, expr, position };
  }

  parseExpr(): Expr {
    let left = this.parseAnd();
    while (this.isWord('or')) {
      const position = this.advance().position;
      left = { kind: 'logical', op: 'or', left, right: this.parseAnd(), position };
    }
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseComparison();
    while (this.isWord('and')) {
      const position = this.advance().position;
      left = { kind: 'logical', op: 'and', left, right: this.parseComparison(), position };
    }
    return left;
  }

  private parseComparison(): Expr {
    const left = this.parsePostfix();
    const token = this.current;
    if (token.kind === 'punct' && COMPARISON_SYMBOLS.has(token.text)) {
      this.advance();
      return { kind: 'compare', op: token.text, left, right: this.parsePostfix(), position: token.position };
    }
    if (token.kind === 'punct' && ARITHMETIC_SYMBOLS.has(token.text)) {
      throw this.error('UnsupportedOperator', `arithmetic ('${token.text}') is not supported by the idwarden emulator's Resource Graph`);
    }
    if (token.kind !== 'word') return left;
    const op = token.text.toLowerCase();
    if (op === 'in' || op === 'in~' || op === '!in' || op === '!in~') {
      this.advance();
      this.expectPunct('(');
      const items = [this.parseExpr()];
      while (this.isPunct(',')) {
        this.advance();
        items.push(this.parseExpr());
      }
      this.expectPunct(')');
      return { kind: 'in', op, left, items, position: token.position };
    }
    if (Object.hasOwn(STRING_OPERATORS, op)) {
      this.advance();
      return { kind: 'compare', op, left, right: this.parsePostfix(), position: token.position };
    }
    if (KNOWN_UNSUPPORTED_BINARY.has(op)) {
      throw this.error('UnsupportedOperator', `the KQL operator '${token.text}' is not supported by the idwarden emulator's Resource Graph`);
    }
    return left;
  }

  private parsePostfix(): Expr {
    let expr = this.parsePrimary();
    for (;;) {
      if (this.isPunct('.')) {
        const position = this.advance().position;
        const key = this.expectWord('a property name');
        expr = { kind: 'member', target: expr, key: key.text, position };
      } else if (this.isPunct('[')) {
        const position = this.advance().position;
        const key = this.current;
        if (key.kind !== 'string' && !(key.kind === 'number' && Number.isInteger(key.value))) {
          throw this.error('ParserFailure', 'expected a quoted property name or an array index inside [ ]');
        }
        this.advance();
        this.expectPunct(']');
        expr = { kind: 'member', target: expr, key: key.value!, position };
      } else {
        return expr;
      }
    }
  }

  private parsePrimary(): Expr {
    const token = this.current;
    if (token.kind === 'string' || token.kind === 'number') {
      this.advance();
      return { kind: 'literal', value: token.value!, position: token.position };
    }
    if (token.kind === 'punct' && token.text === '-' && this.peek().kind === 'number') {
      this.advance();
      const number = this.advance();
      return { kind: 'literal', value: -(number.value as number), position: token.position };
    }
    if (token.kind === 'punct' && token.text === '(') {
      this.advance();
      const inner = this.parseExpr();
      this.expectPunct(')');
      return inner;
    }
    if (token.kind !== 'word') throw this.error('ParserFailure', `expected an expression but found '${token.text}'`);
    this.advance();
    const lower = token.text.toLowerCase();
    if (lower === 'true' || lower === 'false') return { kind: 'literal', value: lower === 'true', position: token.position };
    if (!this.isPunct('(')) return { kind: 'column', name: token.text, position: token.position };
    if (AGGREGATE_FUNCTIONS.has(token.text)) {
      throw this.error('UnsupportedFunction', `'${token.text}()' is only supported as an aggregation in 'summarize'`, token);
    }
    if (!Object.hasOwn(SCALAR_FUNCTIONS, token.text)) {
      throw this.error('UnsupportedFunction', `the function '${token.text}()' is not supported by the idwarden emulator's Resource Graph (supported: ${supportedFunctionList()})`, token);
    }
    this.advance();
    const args: Expr[] = [];
    while (!this.isPunct(')')) {
      if (args.length > 0) this.expectPunct(',');
      args.push(this.parseExpr());
    }
    this.advance();
    const signature = SCALAR_FUNCTIONS[token.text]!;
    if (args.length < signature.minArgs || args.length > signature.maxArgs) {
      const expected = signature.minArgs === signature.maxArgs ? `${signature.minArgs}` : `${signature.minArgs} to ${signature.maxArgs}`;
      throw this.error('InvalidArgument', `${token.text}() takes ${expected} argument(s), got ${args.length}`, token);
    }
    return { kind: 'call', name: token.text, args, position: token.position };
  }
}

/** Parses the query text into the subset's syntax tree; anything outside the subset is a KqlError naming it. */
export function parseQuery(source: string): Query {
  return new Parser(tokenize(source)).parseQuery();
}
