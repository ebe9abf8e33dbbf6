import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenize } from '../../emulator/resourcegraph/kql/tokenizer.ts';
import { KqlError } from '../../emulator/resourcegraph/kql/errors.ts';

const texts = (source: string) => tokenize(source).map((token) => `${token.kind}:${token.text}`);

test('words, operators and punctuation, with KQL’s hyphenated and negated operator words kept whole', () => {
  assert.deepEqual(texts("Resources | mv-expand x = bag_keys(a.b) | where x !has 'y' and z in~ ('a') and w !in~ ('b') or v !~ 'c'"), [
    'word:Resources',
    'punct:|',
    'word:mv-expand',
    'word:x',
    'punct:=',
    'word:bag_keys',
    'punct:(',
    'word:a',
    'punct:.',
    'word:b',
    'punct:)',
    'punct:|',
    'word:where',
    'word:x',
    'word:!has',
    "string:'y'",
    'word:and',
    'word:z',
    'word:in~',
    'punct:(',
    "string:'a'",
    'punct:)',
    'word:and',
    'word:w',
    'word:!in~',
    'punct:(',
    "string:'b'",
    'punct:)',
    'word:or',
    'word:v',
    'punct:!~',
    "string:'c'",
    'eof:<EOF>',
  ]);
});

test('a hyphen between ordinary words stays a minus sign', () => {
  assert.deepEqual(texts('a-b project-away'), ['word:a', 'punct:-', 'word:b', 'word:project-away', 'eof:<EOF>']);
});

test('string literals decode escapes; verbatim strings keep backslashes and double their quotes', () => {
  const [escaped, verbatim, doubleQuoted] = tokenize(String.raw`'it\'s\\ok' @'C:\path''s' "a\"b"`);
  assert.equal(escaped!.value, "it's\\ok");
  assert.equal(verbatim!.value, "C:\\path's");
  assert.equal(doubleQuoted!.value, 'a"b');
});

test('numbers are read as numbers; comments and newlines are skipped with positions kept', () => {
  const tokens = tokenize('take 10 // first ten\n| where x == 2.5e1');
  assert.deepEqual(
    tokens.filter((t) => t.kind === 'number').map((t) => t.value),
    [10, 25],
  );
  const pipe = tokens.find((t) => t.text === '|')!;
  assert.deepEqual(pipe.position, { line: 2, column: 0 });
  assert.deepEqual(tokens.find((t) => t.text === 'x')!.position, { line: 2, column: 8 });
});

test('an unterminated string is a ParserFailure at its opening quote', () => {
  assert.throws(
    () => tokenize("where name == 'abc"),
    (error: unknown) => error instanceof KqlError && error.code === 'ParserFailure' && error.position.column === 14 && /unterminated/.test(error.message),
  );
});

test('timespan literals are named as unsupported rather than misread', () => {
  assert.throws(
    () => tokenize('where t > ago(1d)'),
    (error: unknown) => error instanceof KqlError && error.code === 'UnsupportedLiteral' && error.token === '1d',
  );
});
