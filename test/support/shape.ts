import assert from 'node:assert/strict';

/**
 * "Same shape" for JSON payloads: a conformance check that an emulator response is built like a
 * published example (Azure REST API spec examples, Microsoft Graph docs samples) without requiring
 * the same values: ids, timestamps and GUIDs differ by nature.
 *
 * Rules, applied recursively from the root:
 * - Objects: every key of the example must be in the response, shaped the same; a response key the
 *   example lacks is a difference unless listed in `extraKeys` (properties the spec defines that the
 *   example leaves out, e.g. `properties.createdOn`).
 * - Arrays: every response element must have the shape of the example's first element (an empty
 *   example array accepts any elements).
 * - Values: the same JSON type (string, number, boolean, null, object, array).
 * - Paths in `enums` must hold one of the listed values, in the response and in the example; paths in
 *   `sameValue` must be equal to the example's value (resource `type`s, fixed literals).
 * - Paths in `maps` are dictionaries (tags, additionalProperties): any keys, each value shaped like
 *   the example's first value.
 * - Paths in `optional` may be absent from the response (e.g. `nextLink` on a last page).
 *
 * Paths are dotted from the root, with `[]` for "any element": `value[].properties.principalType`.
 * The root itself is the empty path ''.
 */
export interface ShapeOptions {
  extraKeys?: readonly string[];
  optional?: readonly string[];
  enums?: Readonly<Record<string, readonly unknown[]>>;
  sameValue?: readonly string[];
  maps?: readonly string[];
}

type JsonKind = 'string' | 'number' | 'boolean' | 'null' | 'object' | 'array';

function kindOf(value: unknown): JsonKind {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const kind = typeof value;
  if (kind === 'string' || kind === 'number' || kind === 'boolean' || kind === 'object') return kind;
  throw new Error(`not a JSON value: ${String(value)}`);
}

const child = (path: string, key: string) => (path === '' ? key : `${path}.${key}`);

/** Every difference between the shapes, one readable line per path (empty when the shapes agree). */
export function shapeDifferences(actual: unknown, expected: unknown, options: ShapeOptions = {}): string[] {
  const differences: string[] = [];
  const has = (list: readonly string[] | undefined, path: string) => list?.includes(path) ?? false;

  const visit = (got: unknown, want: unknown, path: string): void => {
    const shown = path || '(root)';
    const allowed = options.enums?.[path];
    if (allowed) {
      if (!allowed.includes(got)) differences.push(`${shown}: ${JSON.stringify(got)} is not one of ${JSON.stringify(allowed)}`);
      if (!allowed.includes(want)) differences.push(`${shown}: the example's ${JSON.stringify(want)} is not one of ${JSON.stringify(allowed)}`);
      return;
    }
    if (has(options.sameValue, path) && JSON.stringify(got) !== JSON.stringify(want)) {
      differences.push(`${shown}: ${JSON.stringify(got)} where the example has ${JSON.stringify(want)}`);
      return;
    }
    const [gotKind, wantKind] = [kindOf(got), kindOf(want)];
    if (gotKind !== wantKind) {
      differences.push(`${shown}: ${gotKind} where the example has ${wantKind}`);
      return;
    }
    if (gotKind === 'array') {
      const [template] = want as unknown[];
      if (template !== undefined) (got as unknown[]).forEach((element) => visit(element, template, `${path}[]`));
      return;
    }
    if (gotKind !== 'object') return;
    const [gotObject, wantObject] = [got as Record<string, unknown>, want as Record<string, unknown>];
    if (has(options.maps, path)) {
      const template = Object.values(wantObject)[0];
      if (template !== undefined) for (const [key, value] of Object.entries(gotObject)) visit(value, template, `${path}.${key}`);
      return;
    }
    for (const [key, value] of Object.entries(wantObject)) {
      const keyPath = child(path, key);
      if (key in gotObject) visit(gotObject[key], value, keyPath);
      else if (!has(options.optional, keyPath)) differences.push(`${keyPath}: missing (the example has ${kindOf(value)})`);
    }
    for (const key of Object.keys(gotObject)) {
      const keyPath = child(path, key);
      if (!(key in wantObject) && !has(options.extraKeys, keyPath)) differences.push(`${keyPath}: not in the example`);
    }
  };

  visit(actual, expected, '');
  return [...new Set(differences)]; // once per path, however many list items share the difference
}

/** Fails with every shape difference listed, or passes when the response is built like the example. */
export function assertSameShape(actual: unknown, expected: unknown, options: ShapeOptions = {}, what = 'response'): void {
  const differences = shapeDifferences(actual, expected, options);
  assert.deepEqual(differences, [], `${what} is not shaped like the example:\n  ${differences.join('\n  ')}`);
}
