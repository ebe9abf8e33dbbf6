import { isBag, toKqlString, type KqlType, type Value } from './values.ts';

/** A scalar function of the subset: its arity, result type and meaning. */
export interface ScalarFunction {
  minArgs: number;
  maxArgs: number;
  result: KqlType;
  apply(args: Value[]): Value;
}

const isEmpty = (value: Value) => value === null || value === '';

const fn = (minArgs: number, maxArgs: number, result: KqlType, apply: (args: Value[]) => Value): ScalarFunction => ({ minArgs, maxArgs, result, apply });

/** KQL function names are case-sensitive, as in Kusto. */
export const SCALAR_FUNCTIONS: Readonly<Record<string, ScalarFunction>> = {
  tolower: fn(1, 1, 'string', ([value]) => toKqlString(value!).toLowerCase()),
  toupper: fn(1, 1, 'string', ([value]) => toKqlString(value!).toUpperCase()),
  tostring: fn(1, 1, 'string', ([value]) => toKqlString(value!)),
  strcat: fn(1, 64, 'string', (values) => values.map(toKqlString).join('')),
  bag_keys: fn(1, 1, 'dynamic', ([value]) => (isBag(value!) ? Object.keys(value) : null)),
  array_length: fn(1, 1, 'long', ([value]) => (Array.isArray(value) ? value.length : null)),
  isempty: fn(1, 1, 'bool', ([value]) => isEmpty(value!)),
  isnotempty: fn(1, 1, 'bool', ([value]) => !isEmpty(value!)),
  isnull: fn(1, 1, 'bool', ([value]) => value === null),
  isnotnull: fn(1, 1, 'bool', ([value]) => value !== null),
  not: fn(1, 1, 'bool', ([value]) => value !== true),
};

/** Aggregations, valid only inside `summarize`. */
export const AGGREGATE_FUNCTIONS = new Set(['count']);

export const supportedFunctionList = () => [...Object.keys(SCALAR_FUNCTIONS), 'count() (in summarize)'].join(', ');
