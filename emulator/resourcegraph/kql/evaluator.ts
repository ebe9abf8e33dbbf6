import type { Expr, NamedExpr, Operator, Query } from './ast.ts';
import { KqlError, type Position } from './errors.ts';
import { SCALAR_FUNCTIONS } from './functions.ts';
import { compareForSort, compareNumbers, equals, equalsIgnoreCase, isBag, member, STRING_OPERATORS, toKqlString, type KqlType, type Value } from './values.ts';

export interface Column {
  name: string;
  type: KqlType;
}

export type Row = Record<string, Value>;

export interface Table {
  columns: Column[];
  rows: Row[];
}

export interface CompiledQuery {
  /** The source table, lower-cased as the schemas are keyed. */
  table: string;
  run(rows: Row[]): Table;
}

interface CompiledExpr {
  type: KqlType;
  evaluate(row: Row): Value;
}

type Stage = (rows: Row[]) => Row[];

const literalType = (value: string | number | boolean): KqlType =>
  typeof value === 'string' ? 'string' : typeof value === 'boolean' ? 'bool' : Number.isInteger(value) ? 'long' : 'real';

function compileExpr(expr: Expr, columns: readonly Column[]): CompiledExpr {
  switch (expr.kind) {
    case 'literal':
      return { type: literalType(expr.value), evaluate: () => expr.value };
    case 'column': {
      const column = columns.find((c) => c.name === expr.name);
      if (!column) {
        const near = columns.find((c) => c.name.toLowerCase() === expr.name.toLowerCase());
        const hint = near ? ` (column names are case-sensitive: did you mean '${near.name}'?)` : ` (columns here: ${columns.map((c) => c.name).join(', ')})`;
        throw new KqlError('UnknownColumn', `failed to resolve column '${expr.name}'${hint}`, expr.position, expr.name);
      }
      return { type: column.type, evaluate: (row) => row[expr.name] ?? null };
    }
    case 'member': {
      const target = compileExpr(expr.target, columns);
      return { type: 'dynamic', evaluate: (row) => member(target.evaluate(row), expr.key) };
    }
    case 'call': {
      const fn = SCALAR_FUNCTIONS[expr.name]!;
      const args = expr.args.map((arg) => compileExpr(arg, columns));
      return { type: fn.result, evaluate: (row) => fn.apply(args.map((arg) => arg.evaluate(row))) };
    }
    case 'logical': {
      const left = compileExpr(expr.left, columns);
      const right = compileExpr(expr.right, columns);
      return expr.op === 'and'
        ? { type: 'bool', evaluate: (row) => left.evaluate(row) === true && right.evaluate(row) === true }
        : { type: 'bool', evaluate: (row) => left.evaluate(row) === true || right.evaluate(row) === true };
    }
    case 'compare': {
      const left = compileExpr(expr.left, columns);
      const right = compileExpr(expr.right, columns);
      const test = comparison(expr.op);
      return { type: 'bool', evaluate: (row) => test(left.evaluate(row), right.evaluate(row)) };
    }
    case 'in': {
      const left = compileExpr(expr.left, columns);
      const items = expr.items.map((item) => compileExpr(item, columns));
      const same = expr.op.endsWith('~') ? equalsIgnoreCase : equals;
      const negated = expr.op.startsWith('!');
      return {
        type: 'bool',
        evaluate: (row) => {
          const value = left.evaluate(row);
          return items.some((item) => same(value, item.evaluate(row))) !== negated;
        },
      };
    }
  }
}

function comparison(op: string): (left: Value, right: Value) => boolean {
  switch (op) {
    case '==':
      return equals;
    case '!=':
      return (left, right) => !equals(left, right);
    case '=~':
      return equalsIgnoreCase;
    case '!~':
      return (left, right) => !equalsIgnoreCase(left, right);
    case '<':
    case '<=':
    case '>':
    case '>=':
      return (left, right) => compareNumbers(op, left, right);
    default: {
      const test = STRING_OPERATORS[op]!;
      return (left, right) => test(toKqlString(left), toKqlString(right));
    }
  }
}

function duplicateColumn(name: string, position: Position): KqlError {
  return new KqlError('InvalidArgument', `the column '${name}' is produced twice`, position, name);
}

/** Columns after adding or replacing one in place (KQL keeps a replaced column where it was). */
function withColumn(columns: readonly Column[], column: Column): Column[] {
  const at = columns.findIndex((c) => c.name === column.name);
  return at >= 0 ? columns.map((c, i) => (i === at ? column : c)) : [...columns, column];
}

function compileNamed(items: readonly NamedExpr[], columns: readonly Column[]): { name: string; compiled: CompiledExpr }[] {
  return items.map((item) => ({ name: item.name, compiled: compileExpr(item.expr, columns) }));
}

/** One operator: the stage that transforms rows and the columns it produces. */
function compileOperator(operator: Operator, columns: readonly Column[]): { stage: Stage; columns: Column[] } {
  switch (operator.kind) {
    case 'where': {
      const predicate = compileExpr(operator.predicate, columns);
      return { stage: (rows) => rows.filter((row) => predicate.evaluate(row) === true), columns: [...columns] };
    }
    case 'project': {
      const items = compileNamed(operator.items, columns);
      const seen = new Set<string>();
      for (const [i, item] of items.entries()) {
        if (seen.has(item.name)) throw duplicateColumn(item.name, operator.items[i]!.position);
        seen.add(item.name);
      }
      return {
        stage: (rows) => rows.map((row) => Object.fromEntries(items.map((item) => [item.name, item.compiled.evaluate(row)]))),
        columns: items.map((item) => ({ name: item.name, type: item.compiled.type })),
      };
    }
    case 'extend': {
      // Each assignment sees the ones before it, as in KQL.
      let current: Column[] = [...columns];
      const steps: { name: string; compiled: CompiledExpr }[] = [];
      for (const item of operator.items) {
        const compiled = compileExpr(item.expr, current);
        steps.push({ name: item.name, compiled });
        current = withColumn(current, { name: item.name, type: compiled.type });
      }
      const order = current.map((c) => c.name);
      return {
        stage: (rows) =>
          rows.map((row) => {
            const extended: Row = { ...row };
            for (const step of steps) extended[step.name] = step.compiled.evaluate(extended);
            return Object.fromEntries(order.map((name) => [name, extended[name] ?? null]));
          }),
        columns: current,
      };
    }
    case 'mv-expand': {
      const name = operator.item.name;
      const compiled = compileExpr(operator.item.expr, columns);
      const output = withColumn(columns, { name, type: 'dynamic' });
      const order = output.map((c) => c.name);
      const emit = (row: Row, value: Value): Row => Object.fromEntries(order.map((column) => [column, column === name ? value : (row[column] ?? null)]));
      return {
        stage: (rows) =>
          rows.flatMap((row) => {
            const value = compiled.evaluate(row);
            // KQL: null gives one row with null; an empty array or bag gives none; a bag expands to one-entry bags.
            if (Array.isArray(value)) return value.map((element) => emit(row, element));
            if (isBag(value)) return Object.entries(value).map(([key, element]) => emit(row, { [key]: element }));
            return [emit(row, value)];
          }),
        columns: output,
      };
    }
    case 'order': {
      const keys = operator.keys.map((key) => ({ ...key, compiled: compileExpr(key.expr, columns) }));
      return {
        stage: (rows) => {
          const decorated = rows.map((row) => ({ row, values: keys.map((key) => key.compiled.evaluate(row)) }));
          decorated.sort((a, b) => {
            for (const [i, key] of keys.entries()) {
              const left = a.values[i]!;
              const right = b.values[i]!;
              if (left === null || right === null) {
                if (left === right) continue;
                return (left === null) === key.nullsFirst ? -1 : 1;
              }
              const order = compareForSort(left, right);
              if (order !== 0) return key.descending ? -order : order;
            }
            return 0;
          });
          return decorated.map((entry) => entry.row);
        },
        columns: [...columns],
      };
    }
    case 'limit':
      return { stage: (rows) => rows.slice(0, operator.count), columns: [...columns] };
    case 'summarize': {
      const by = compileNamed(operator.by, columns);
      const output: Column[] = [...by.map((item) => ({ name: item.name, type: item.compiled.type })), ...operator.aggregates.map((a) => ({ name: a.name, type: 'long' as const }))];
      const seen = new Set<string>();
      for (const column of output) {
        if (seen.has(column.name)) throw duplicateColumn(column.name, operator.position);
        seen.add(column.name);
      }
      return {
        stage: (rows) => {
          const groups = new Map<string, { keys: Value[]; count: number }>();
          for (const row of rows) {
            const keys = by.map((item) => item.compiled.evaluate(row));
            const groupKey = JSON.stringify(keys);
            const group = groups.get(groupKey) ?? { keys, count: 0 };
            group.count++;
            groups.set(groupKey, group);
          }
          // Without `by`, summarize answers one row even for no input.
          if (by.length === 0 && groups.size === 0) groups.set('[]', { keys: [], count: 0 });
          return [...groups.values()].map((group) =>
            Object.fromEntries([...by.map((item, i) => [item.name, group.keys[i]!] as const), ...operator.aggregates.map((a) => [a.name, group.count] as const)]),
          );
        },
        columns: output,
      };
    }
    case 'count':
      return { stage: (rows) => [{ Count: rows.length }], columns: [{ name: 'Count', type: 'long' }] };
  }
}

/**
 * Checks the whole query against the table's schema before any row is read (an unknown column is an
 * error even on an empty table), and returns a runner for the rows the caller may see.
 */
export function compileQuery(query: Query, schemas: Readonly<Record<string, readonly Column[]>>): CompiledQuery {
  const table = query.table.name.toLowerCase();
  const schema = schemas[table];
  if (!schema) {
    throw new KqlError(
      'UnknownTable',
      `the table '${query.table.name}' is not served by the idwarden emulator's Resource Graph (tables: ${Object.keys(schemas).join(', ')})`,
      query.table.position,
      query.table.name,
    );
  }
  let columns: Column[] = [...schema];
  const stages: Stage[] = [];
  for (const operator of query.operators) {
    const compiled = compileOperator(operator, columns);
    stages.push(compiled.stage);
    columns = compiled.columns;
  }
  const output = columns;
  return {
    table,
    run: (rows) => ({ columns: output, rows: stages.reduce((current, stage) => stage(current), rows) }),
  };
}
