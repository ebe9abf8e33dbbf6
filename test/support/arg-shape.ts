/** The JSON kind of a value, as a client deserialising it sees it. */
export type JsonKind = 'string' | 'number' | 'boolean' | 'null' | 'array' | 'object';

export function jsonKind(value: unknown): JsonKind {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const kind = typeof value;
  if (kind === 'string' || kind === 'number' || kind === 'boolean' || kind === 'object') return kind;
  throw new Error(`not a JSON value: ${String(value)}`);
}

/**
 * An object's keys, each with the kind of its value: the shape two payloads must share for a client
 * to read one like the other (values and key order aside).
 */
export function keyKinds(value: unknown): Record<string, JsonKind> {
  if (jsonKind(value) !== 'object') throw new Error(`expected a JSON object, got ${jsonKind(value)}`);
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .map(([key, inner]) => [key, jsonKind(inner)] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}
