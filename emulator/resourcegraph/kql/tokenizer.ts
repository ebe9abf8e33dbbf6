import { KqlError, type Position } from './errors.ts';

/**
 * `word` covers identifiers, keywords and word operators (`has`, `!contains`, `in~`, `mv-expand`);
 * `punct` covers symbols (`|`, `==`, `=~`, `(`, ...).
 */
export type TokenKind = 'word' | 'string' | 'number' | 'punct' | 'eof';

export interface Token {
  kind: TokenKind;
  /** The text as written (for strings: the decoded value is in `value`). */
  text: string;
  value?: string | number;
  position: Position;
}

/** KQL names written with a hyphen; read as one word so an unsupported one can be named in the error. */
const HYPHENATED = new Set([
  'mv-expand',
  'mv-apply',
  'project-away',
  'project-keep',
  'project-rename',
  'project-reorder',
  'make-series',
  'top-nested',
  'top-hitters',
  'parse-where',
  'parse-kv',
  'sample-distinct',
]);

const PUNCTUATION = ['==', '!=', '=~', '!~', '<=', '>=', '|', '(', ')', '[', ']', '{', '}', ',', '.', '=', '<', '>', ';', ':', '+', '-', '*', '/', '%'];

const isWordStart = (c: string | undefined) => c !== undefined && /[A-Za-z_]/.test(c);
const isWordPart = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_]/.test(c);
const isDigit = (c: string | undefined) => c !== undefined && /[0-9]/.test(c);

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' };

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  let line = 1;
  let lineStart = 0;
  const here = (): Position => ({ line, column: index - lineStart });
  const fail = (message: string, position: Position, token: string): never => {
    throw new KqlError('ParserFailure', message, position, token);
  };

  while (index < source.length) {
    const c = source[index]!;
    if (c === '\n') {
      index++;
      line++;
      lineStart = index;
      continue;
    }
    if (/\s/.test(c)) {
      index++;
      continue;
    }
    if (c === '/' && source[index + 1] === '/') {
      while (index < source.length && source[index] !== '\n') index++;
      continue;
    }
    const position = here();
    const start = index;

    if (c === "'" || c === '"' || (c === '@' && (source[index + 1] === "'" || source[index + 1] === '"'))) {
      const verbatim = c === '@';
      const quote = verbatim ? source[index + 1]! : c;
      index += verbatim ? 2 : 1;
      let value = '';
      for (;;) {
        const ch = source[index];
        if (ch === undefined || ch === '\n') fail('unterminated string literal', position, source.slice(start, index));
        if (ch === quote) {
          // In a verbatim string a doubled quote is one quote character.
          if (verbatim && source[index + 1] === quote) {
            value += quote;
            index += 2;
            continue;
          }
          index++;
          break;
        }
        if (ch === '\\' && !verbatim) {
          const escaped = ESCAPES[source[index + 1] ?? ''];
          if (escaped === undefined) fail(`unknown escape sequence '\\${source[index + 1] ?? ''}'`, here(), source.slice(index, index + 2));
          value += escaped;
          index += 2;
          continue;
        }
        value += ch;
        index++;
      }
      tokens.push({ kind: 'string', text: source.slice(start, index), value, position });
      continue;
    }

    if (isDigit(c)) {
      while (isDigit(source[index])) index++;
      if (source[index] === '.' && isDigit(source[index + 1])) {
        index++;
        while (isDigit(source[index])) index++;
      }
      if (/[eE]/.test(source[index] ?? '') && /[-+0-9]/.test(source[index + 1] ?? '')) {
        index += 2;
        while (isDigit(source[index])) index++;
      }
      // `1d`, `10m`: timespan literals and typed suffixes are not in the subset.
      if (isWordPart(source[index])) {
        while (isWordPart(source[index])) index++;
        throw new KqlError('UnsupportedLiteral', `literal '${source.slice(start, index)}' (timespan and suffixed literals) is not supported by the idwarden emulator`, position, source.slice(start, index));
      }
      const text = source.slice(start, index);
      tokens.push({ kind: 'number', text, value: Number(text), position });
      continue;
    }

    if (isWordStart(c) || (c === '!' && isWordStart(source[index + 1]))) {
      index++;
      while (isWordPart(source[index])) index++;
      let text = source.slice(start, index);
      if (source[index] === '-' && isWordStart(source[index + 1])) {
        let end = index + 1;
        while (isWordPart(source[end])) end++;
        const joined = source.slice(start, end);
        if (HYPHENATED.has(joined.toLowerCase())) {
          text = joined;
          index = end;
        }
      }
      // `in~` and `!in~`: the case-insensitive membership operators.
      if ((text === 'in' || text === '!in') && source[index] === '~') {
        index++;
        text += '~';
      }
      tokens.push({ kind: 'word', text, position });
      continue;
    }

    const symbol = PUNCTUATION.find((p) => source.startsWith(p, index));
    if (!symbol) fail(`unexpected character '${c}'`, position, c);
    index += symbol!.length;
    tokens.push({ kind: 'punct', text: symbol!, position });
  }
  tokens.push({ kind: 'eof', text: '<EOF>', position: here() });
  return tokens;
}
