/**
 * KQL scalar values as the emulator holds them (plain JSON) and the comparison semantics of the subset.
 * Typed string columns are never null (KQL strings are "" when absent); dynamic values may be null.
 */
export type Value = string | number | boolean | null | Value[] | { [key: string]: Value };

export type KqlType = 'string' | 'long' | 'real' | 'bool' | 'dynamic';

export const isBag = (value: Value): value is { [key: string]: Value } => value !== null && typeof value === 'object' && !Array.isArray(value);

/** KQL's tostring(): null → "", bags and arrays → their JSON text. */
export function toKqlString(value: Value): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** `a.b` / `a['b']` / `a[0]` on a dynamic value; anything that is not there is null. */
export function member(target: Value, key: string | number): Value {
  if (typeof key === 'number') return Array.isArray(target) ? (target[key] ?? null) : null;
  return isBag(target) && Object.hasOwn(target, key) ? target[key]! : null;
}

/** `==`: same type and value; null equals nothing (so `!=` with a null operand is true). */
export function equals(left: Value, right: Value): boolean {
  if (left === null || right === null) return false;
  if (typeof left !== typeof right || typeof left === 'object') return false;
  return left === right;
}

/** `=~`: case-insensitive equality of two strings. */
export function equalsIgnoreCase(left: Value, right: Value): boolean {
  return typeof left === 'string' && typeof right === 'string' && left.toLowerCase() === right.toLowerCase();
}

const isWordCharacter = (c: string | undefined) => c !== undefined && /[\p{L}\p{N}_]/u.test(c);

/**
 * `has`: the term occurs in the text bounded by non-alphanumeric characters (KQL indexes terms that way).
 * Bounds are only required on the sides where the term itself starts or ends with a word character.
 */
export function hasTerm(text: string, term: string, caseSensitive: boolean): boolean {
  const haystack = caseSensitive ? text : text.toLowerCase();
  const needle = caseSensitive ? term : term.toLowerCase();
  if (needle.length === 0) return true;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) {
    const boundedBefore = !isWordCharacter(needle[0]) || !isWordCharacter(haystack[at - 1]);
    const boundedAfter = !isWordCharacter(needle[needle.length - 1]) || !isWordCharacter(haystack[at + needle.length]);
    if (boundedBefore && boundedAfter) return true;
  }
  return false;
}

type StringTest = (text: string, operand: string) => boolean;
const folded =
  (test: StringTest): StringTest =>
  (text, operand) =>
    test(text.toLowerCase(), operand.toLowerCase());

const POSITIVE_STRING_OPERATORS: Record<string, StringTest> = {
  has: (text, term) => hasTerm(text, term, false),
  has_cs: (text, term) => hasTerm(text, term, true),
  contains: folded((text, operand) => text.includes(operand)),
  contains_cs: (text, operand) => text.includes(operand),
  startswith: folded((text, operand) => text.startsWith(operand)),
  startswith_cs: (text, operand) => text.startsWith(operand),
  endswith: folded((text, operand) => text.endsWith(operand)),
  endswith_cs: (text, operand) => text.endsWith(operand),
};

/** The string operators of the subset, each with its `!` negation; both sides are read as strings. */
export const STRING_OPERATORS: Record<string, StringTest> = Object.fromEntries(
  Object.entries(POSITIVE_STRING_OPERATORS).flatMap(([name, test]) => [
    [name, test],
    [`!${name}`, (text: string, operand: string) => !test(text, operand)],
  ]),
);

/** `<`, `<=`, `>`, `>=`: numbers only; any other operand makes the comparison false. */
export function compareNumbers(op: string, left: Value, right: Value): boolean {
  if (typeof left !== 'number' || typeof right !== 'number') return false;
  switch (op) {
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    case '>':
      return left > right;
    default:
      return left >= right;
  }
}

const TYPE_RANK: Record<string, number> = { boolean: 0, number: 1, string: 2, object: 3 };

/** Ordering for `order by`: nulls aside (the caller places them), by type, then by value (ordinal for strings). */
export function compareForSort(left: Exclude<Value, null>, right: Exclude<Value, null>): number {
  const leftRank = TYPE_RANK[typeof left]!;
  const rightRank = TYPE_RANK[typeof right]!;
  if (leftRank !== rightRank) return leftRank - rightRank;
  const a = typeof left === 'object' ? JSON.stringify(left) : left;
  const b = typeof right === 'object' ? JSON.stringify(right) : right;
  return a < b ? -1 : a > b ? 1 : 0;
}
