import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuery } from '../../emulator/resourcegraph/kql/parser.ts';
import { KqlError, type KqlErrorCode } from '../../emulator/resourcegraph/kql/errors.ts';
import type { Expr } from '../../emulator/resourcegraph/kql/ast.ts';

/** The expression tree without positions, as nested arrays, for readable assertions. */
function shape(expr: Expr): unknown {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'column':
      return expr.name;
    case 'member':
      return ['.', shape(expr.target), expr.key];
    case 'call':
      return [`${expr.name}()`, ...expr.args.map(shape)];
    case 'logical':
    case 'compare':
      return [expr.op, shape(expr.left), shape(expr.right)];
    case 'in':
      return [expr.op, shape(expr.left), expr.items.map(shape)];
  }
}

function refused(query: string, code: KqlErrorCode, token: string) {
  assert.throws(
    () => parseQuery(query),
    (error: unknown) => {
      assert.ok(error instanceof KqlError, `expected a KqlError for ${query}`);
      assert.equal(error.code, code, error.message);
      assert.equal(error.token, token);
      return true;
    },
  );
}

test('a pipeline of operators after the table name', () => {
  const query = parseQuery("Resources | where type =~ 'x' | project id, name | take 5");
  assert.equal(query.table.name, 'Resources');
  assert.deepEqual(
    query.operators.map((o) => o.kind),
    ['where', 'project', 'limit'],
  );
});

test('a query that opens with an operator reads the resources table, as ARG does', () => {
  const query = parseQuery("where name == 'a'");
  assert.equal(query.table.name, 'resources');
  assert.equal(query.operators[0]!.kind, 'where');
});

test('or binds looser than and; comparisons bind tighter than both; parentheses regroup', () => {
  const [where] = parseQuery('t | where a == 1 or b == 2 and c has "x"').operators;
  assert.deepEqual(shape((where as { predicate: Expr }).predicate), ['or', ['==', 'a', 1], ['and', ['==', 'b', 2], ['has', 'c', 'x']]]);
  const [grouped] = parseQuery('t | where (a == 1 or b == 2) and not(isempty(c))').operators;
  assert.deepEqual(shape((grouped as { predicate: Expr }).predicate), ['and', ['or', ['==', 'a', 1], ['==', 'b', 2]], ['not()', ['isempty()', 'c']]]);
});

test('dotted and bracketed property access, in~ lists and negative numbers', () => {
  const [where] = parseQuery("t | where properties['x'].y[0] in~ ('a', 'B') and n != -3").operators;
  assert.deepEqual(shape((where as { predicate: Expr }).predicate), ['and', ['in~', ['.', ['.', ['.', 'properties', 'x'], 'y'], 0], ['a', 'B']], ['!=', 'n', -3]]);
});

test('project names: aliases, plain columns, and KQL’s derived names for property paths', () => {
  const [project] = parseQuery("t | project id, pid = tostring(properties.principalId), properties.scope, tags['env']").operators;
  assert.deepEqual(
    (project as { items: { name: string }[] }).items.map((item) => item.name),
    ['id', 'pid', 'properties_scope', 'tags_env'],
  );
  refused('t | project tolower(name)', 'InvalidArgument', ')');
});

test('order by is descending unless asked; nulls go first ascending and last descending unless told', () => {
  const [order] = parseQuery('t | order by a, b asc, c desc nulls first').operators;
  assert.deepEqual(
    (order as { keys: { descending: boolean; nullsFirst: boolean }[] }).keys.map((k) => [k.descending, k.nullsFirst]),
    [
      [true, false],
      [false, true],
      [true, true],
    ],
  );
});

test('summarize count() with and without alias and by-clause; the count operator', () => {
  const [summarize] = parseQuery('t | summarize n = count(), count() by type, sub = subscriptionId').operators;
  assert.deepEqual(
    (summarize as { aggregates: { name: string }[] }).aggregates.map((a) => a.name),
    ['n', 'count_'],
  );
  assert.deepEqual(
    (summarize as { by: { name: string }[] }).by.map((b) => b.name),
    ['type', 'sub'],
  );
  assert.equal(parseQuery('t | count').operators[0]!.kind, 'count');
});

test('constructs outside the subset are refused by name', () => {
  refused('t | join (u) on id', 'UnsupportedOperator', 'join');
  refused('t | project-away id', 'UnsupportedOperator', 'project-away');
  refused('let x = 1; t', 'UnsupportedOperator', 'let');
  refused("t | where name matches regex 'a'", 'UnsupportedOperator', 'matches');
  refused('t | where a + 1 == 2', 'UnsupportedOperator', '+');
  refused('t | mv-expand a, b', 'UnsupportedOperator', ',');
  refused('t | where parse_json(a) == 1', 'UnsupportedFunction', 'parse_json');
  refused('t | summarize dcount(id)', 'UnsupportedFunction', 'dcount');
  refused('t | where count() > 1', 'UnsupportedFunction', 'count');
  refused('t | where tolower(a, b) == 1', 'InvalidArgument', 'tolower');
});

test('syntax errors are ParserFailures at the offending token', () => {
  refused('t | where', 'ParserFailure', '<EOF>');
  refused('t | frobnicate', 'ParserFailure', 'frobnicate');
  refused('t | take 5 5', 'ParserFailure', '5');
  refused('t | order name', 'ParserFailure', 'name');
  refused('t | where a = 1', 'ParserFailure', '=');
});
