import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import YAML from 'yaml';
import { parsePolicy } from '../../src/policy/load.ts';
import { PolicyError } from '../../src/policy/policy-error.ts';

/**
 * Fuzzing the policy loader with mutations of the two policies idwarden ships (the default dry-run policy and the
 * demo's enforcing one) rather than random documents (test/unit/policy/load.test.ts has those): the document's
 * keys removed, retyped, misspelt or joined by unknown ones, `enforcement` given near-miss values, and the text
 * itself cut, its lines dropped, repeated or re-indented. Properties, against the real rule catalogue: parsePolicy
 * returns a policy or throws a PolicyError whose every problem has a message and says where; and a policy is
 * enforcing only when its text says `enforcement: enforce` exactly, so no typo, default or YAML trick turns a dry
 * run into enforcement.
 */

const SHIPPED = {
  'default-policy.yaml': readFileSync(new URL('../../src/policy/default-policy.yaml', import.meta.url), 'utf8'),
  'examples/enforce.yaml': readFileSync(new URL('../../src/policy/examples/enforce.yaml', import.meta.url), 'utf8'),
};
const RUNS = 300;

type Json = unknown;
type Path = (string | number)[];

/** Near misses of `enforce`, and values of the wrong type: each must be refused, never read as enforcement. */
const ENFORCEMENT_NEAR_MISSES: Json[] = ['Enforce', 'ENFORCE', 'enforce ', ' enforce', 'enforced', 'enforcing', 'enforce\n', 'remediate', 'on', 'yes', 'true', true, 1, ['enforce'], { mode: 'enforce' }, 'dry_run', 'dryrun', 'Dry-Run', ''];
const KEY_TYPOS = (key: string): string[] => [key.toUpperCase(), `${key[0]!.toUpperCase()}${key.slice(1)}`, key.slice(0, -1), `${key}s`, `${key} `, key.replace(/e/, '3'), `${key.slice(1)}`];

/** Every node of the document below the root, with its path. */
function nodes(value: Json, path: Path = []): { path: Path; value: Json }[] {
  const children: [string | number, Json][] = Array.isArray(value) ? value.map((item, index) => [index, item]) : typeof value === 'object' && value !== null ? Object.entries(value) : [];
  return children.flatMap(([key, child]) => [{ path: [...path, key], value: child }, ...nodes(child, [...path, key])]);
}
const parentOf = (root: Json, path: Path) => path.slice(0, -1).reduce<Json>((node, key) => (node as Record<string | number, Json>)[key], root) as Record<string | number, Json>;
const pick = <T>(items: readonly T[], at: number): T | undefined => (items.length === 0 ? undefined : items[at % items.length]);

type DocumentMutation =
  | { kind: 'remove'; at: number }
  | { kind: 'retype'; at: number; value: Json }
  | { kind: 'unknown-key'; at: number; key: string; value: Json }
  | { kind: 'misspell-key'; at: number; typo: number }
  | { kind: 'enforcement'; value: Json }
  | { kind: 'misspell-enforcement'; typo: number };

type TextMutation = { kind: 'truncate'; fraction: number } | { kind: 'drop-line'; at: number } | { kind: 'repeat-line'; at: number } | { kind: 'indent-line'; at: number; by: number } | { kind: 'insert'; at: number; text: string };

function mutateDocument(original: Json, mutation: DocumentMutation): Json {
  const document = structuredClone(original) as Record<string, Json>;
  const all = nodes(document);
  const set = (path: Path, value: Json) => void (parentOf(document, path)[path.at(-1)!] = value);
  switch (mutation.kind) {
    case 'remove': {
      const target = pick(all, mutation.at);
      if (target) delete parentOf(document, target.path)[target.path.at(-1)!];
      return document;
    }
    case 'retype': {
      const target = pick(all, mutation.at);
      if (target) set(target.path, mutation.value);
      return document;
    }
    case 'unknown-key': {
      const objects = [{ path: [] as Path, value: document as Json }, ...all].filter(({ value }) => typeof value === 'object' && value !== null && !Array.isArray(value));
      const target = pick(objects, mutation.at)!;
      (target.value as Record<string, Json>)[mutation.key] = mutation.value;
      return document;
    }
    case 'misspell-key': {
      const target = pick(all.filter(({ path }) => typeof path.at(-1) === 'string'), mutation.at);
      if (!target) return document;
      const key = target.path.at(-1) as string;
      const parent = parentOf(document, target.path);
      delete parent[key];
      parent[pick(KEY_TYPOS(key), mutation.typo)!] = target.value;
      return document;
    }
    case 'enforcement':
      document['enforcement'] = mutation.value;
      return document;
    case 'misspell-enforcement': {
      const value = document['enforcement'];
      delete document['enforcement'];
      // The enforcing value, under a key that is almost `enforcement`: it must not count.
      document[pick(KEY_TYPOS('enforcement'), mutation.typo)!] = value === 'dry-run' ? 'enforce' : value;
      return document;
    }
  }
}

function mutateText(text: string, mutation: TextMutation): string {
  const lines = text.split('\n');
  const line = (at: number) => at % lines.length;
  switch (mutation.kind) {
    case 'truncate':
      return text.slice(0, Math.floor(text.length * mutation.fraction));
    case 'drop-line':
      lines.splice(line(mutation.at), 1);
      return lines.join('\n');
    case 'repeat-line':
      lines.splice(line(mutation.at), 0, lines[line(mutation.at)]!);
      return lines.join('\n');
    case 'indent-line':
      lines[line(mutation.at)] = `${' '.repeat(mutation.by)}${lines[line(mutation.at)]}`;
      return lines.join('\n');
    case 'insert': {
      const at = mutation.at % (text.length + 1);
      return `${text.slice(0, at)}${mutation.text}${text.slice(at)}`;
    }
  }
}

const at = fc.nat({ max: 10_000 });
const anyValue = fc.oneof(fc.constantFrom<Json>(null, true, false, 0, -1, 1.5, '', 'enforce', 'remediate', '/', [], {}, ['x'], { enabled: false }), fc.string({ maxLength: 12 }), fc.integer());
const documentMutation: fc.Arbitrary<DocumentMutation> = fc.oneof(
  at.map((index): DocumentMutation => ({ kind: 'remove', at: index })),
  fc.tuple(at, anyValue).map(([index, value]): DocumentMutation => ({ kind: 'retype', at: index, value })),
  fc.tuple(at, fc.oneof(fc.constantFrom('enforcement', 'Enforcement', 'mode', 'dryRun', 'enforce', '<<', '__proto__', 'constructor', 'action', 'enabled'), fc.string({ minLength: 1, maxLength: 10 })), anyValue).map(
    ([index, key, value]): DocumentMutation => ({ kind: 'unknown-key', at: index, key, value }),
  ),
  fc.tuple(at, fc.nat({ max: 20 })).map(([index, typo]): DocumentMutation => ({ kind: 'misspell-key', at: index, typo })),
  fc.constantFrom(...ENFORCEMENT_NEAR_MISSES).map((value): DocumentMutation => ({ kind: 'enforcement', value })),
  fc.nat({ max: 20 }).map((typo): DocumentMutation => ({ kind: 'misspell-enforcement', typo })),
);
const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  fc.double({ min: 0, max: 1, noNaN: true }).map((fraction): TextMutation => ({ kind: 'truncate', fraction })),
  at.map((index): TextMutation => ({ kind: 'drop-line', at: index })),
  at.map((index): TextMutation => ({ kind: 'repeat-line', at: index })),
  fc.tuple(at, fc.integer({ min: 1, max: 4 })).map(([index, by]): TextMutation => ({ kind: 'indent-line', at: index, by })),
  fc
    .tuple(at, fc.oneof(fc.constantFrom('\nenforcement: enforce\n', '\n<<: { enforcement: enforce }\n', '\nenforcement: &m enforce\n', ': ', '- ', '\t', '"', '#', '{', '&a ', '*a', '!!str ', '\u0000', '\uFEFF'), fc.string({ maxLength: 6 })))
    .map(([index, text]): TextMutation => ({ kind: 'insert', at: index, text })),
);

/** A mutated policy: a document mutation re-written as YAML or JSON, or a text mutation of the file as shipped. */
const mutatedPolicy = fc.constantFrom(...(Object.entries(SHIPPED) as [string, string][])).chain(([file, text]) =>
  fc.oneof(
    fc.tuple(documentMutation, fc.boolean()).map(([mutation, asJson]) => {
      const document = mutateDocument(YAML.parse(text), mutation);
      return { file, mutation: JSON.stringify(mutation), text: asJson ? JSON.stringify(document, null, 2) : YAML.stringify(document) };
    }),
    textMutation.map((mutation) => ({ file, mutation: JSON.stringify(mutation), text: mutateText(text, mutation) })),
  ),
);

/** What the text's top-level `enforcement` key says, read by a plain YAML parser; undefined when it cannot be read. */
function writtenEnforcement(text: string): Json {
  try {
    const document: unknown = YAML.parse(text, { uniqueKeys: true });
    return typeof document === 'object' && document !== null ? (document as Record<string, Json>)['enforcement'] : undefined;
  } catch {
    return undefined;
  }
}

test('the shipped policies parse as they are: the default dry-run, the example enforcing', () => {
  assert.equal(parsePolicy(SHIPPED['default-policy.yaml'], 'default-policy.yaml').policy.enforcement, 'dry-run');
  assert.equal(parsePolicy(SHIPPED['examples/enforce.yaml'], 'enforce.yaml').policy.enforcement, 'enforce');
});

test(`fuzz: a mutated shipped policy (${RUNS} cases) is a valid policy or a PolicyError saying where; it enforces only if it says exactly so`, () => {
  const tally = { cases: 0, valid: 0, refused: 0, enforcing: 0, refusedNearMisses: 0 };
  fc.assert(
    fc.property(mutatedPolicy, ({ file, mutation, text }) => {
      tally.cases += 1;
      const what = `${file} ${mutation}`;
      try {
        const { policy } = parsePolicy(text, file);
        tally.valid += 1;
        if (policy.enforcement === 'enforce') {
          tally.enforcing += 1;
          assert.equal(writtenEnforcement(text), 'enforce', `${what}: enforcing, yet the text does not say enforcement: enforce`);
        }
      } catch (error) {
        assert.ok(error instanceof PolicyError, `${what}: threw ${error instanceof Error ? error.stack : String(error)}`);
        tally.refused += 1;
        assert.ok(error.problems.length > 0, what);
        for (const problem of error.problems) {
          assert.ok(typeof problem.message === 'string' && problem.message.length > 0, `${what}: a problem without a message`);
          // Where: a path into the document, a line and column for YAML syntax, or the whole document ('').
          assert.equal(typeof problem.path, 'string', what);
          if (problem.path === '') assert.ok(problem.line !== undefined || /YAML|empty|expected object/i.test(problem.message), `${what}: no path for ${problem.message}`);
        }
        if (/"kind":"(enforcement|misspell-enforcement)"/.test(mutation)) tally.refusedNearMisses += 1;
      }
    }),
    { numRuns: RUNS, seed: 20261203 },
  );
  console.log(`# policy fuzz: ${JSON.stringify(tally)}`);
  assert.ok(tally.valid > 0 && tally.refused > 0 && tally.enforcing > 0, 'the cases reached valid, refused and enforcing policies');
  assert.ok(tally.refusedNearMisses > 0, 'near misses of enforcement were generated and refused');
});

test('near misses of enforcement and its key are refused with the path of the problem, never defaulted', () => {
  const { enforcement: _enforcement, ...withoutEnforcement } = YAML.parse(SHIPPED['examples/enforce.yaml']) as Record<string, Json>;
  const refusedAt = (document: Record<string, Json>, path: string) =>
    assert.throws(() => parsePolicy(YAML.stringify(document), 'near-miss.yaml'), (error: unknown) => {
      assert.ok(error instanceof PolicyError, String(error));
      assert.ok(error.problems.some((problem) => problem.path === path), `${JSON.stringify(document[path] ?? path)}: ${error.message}`);
      return true;
    });
  for (const value of ENFORCEMENT_NEAR_MISSES) refusedAt({ ...withoutEnforcement, enforcement: value }, 'enforcement');
  for (const key of KEY_TYPOS('enforcement')) refusedAt({ ...withoutEnforcement, [key]: 'enforce' }, key);
});
