import { EmulatorHttpError, NotImplementedByEmulator } from '../server/errors.ts';

/**
 * The `$filter` dialects of the ARM lists the emulator serves. Each accepts exactly what the real
 * service documents; the query string is already decoded (%xx and '+'), so clauses arrive as text.
 */

/** Splits a filter into its `and`-joined clauses, never inside a quoted literal. */
export function filterClauses(filter: string): string[] {
  const clauses: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < filter.length; i++) {
    const character = filter[i]!;
    if (character === "'") quoted = !quoted; // '' (an escaped quote) toggles twice
    if (!quoted) {
      const joiner = /^\s+and\s+/i.exec(filter.slice(i));
      if (joiner) {
        clauses.push(current.trim());
        current = '';
        i += joiner[0].length - 1;
        continue;
      }
    }
    current += character;
  }
  clauses.push(current.trim());
  return clauses;
}

/** The value of an OData string literal body, with `''` unescaped. */
const literal = (body: string) => body.replaceAll("''", "'");
const LITERAL = "'((?:[^']|'')+)'";

// ---- Microsoft.Authorization/roleAssignments ----

export interface RoleAssignmentFilter {
  /** Only assignments at the scope or above it. */
  atScope: boolean;
  principalId?: string;
  /** The principal and every group it belongs to, transitively. */
  assignedTo?: string;
}

const AT_SCOPE = /^atScope\(\)$/i;
const PRINCIPAL_ID_EQ = new RegExp(`^principalId\\s+eq\\s+${LITERAL}$`, 'i');
const ASSIGNED_TO = new RegExp(`^assignedTo\\(\\s*${LITERAL}\\s*\\)$`, 'i');

/**
 * ARM accepts `atScope()`, `principalId eq '{id}'`, `assignedTo('{id}')` and `atScope() and assignedTo('{id}')`.
 * It refuses everything else with 400 UnsupportedQuery, including `atScope() and principalId eq '{id}'`.
 */
export function parseRoleAssignmentFilter(filter: string | undefined): RoleAssignmentFilter {
  if (filter === undefined || filter.trim() === '') return { atScope: false };
  const parsed: RoleAssignmentFilter = { atScope: false };
  const clauses = filterClauses(filter);
  for (const clause of clauses) {
    let match: RegExpExecArray | null;
    if (AT_SCOPE.test(clause) && !parsed.atScope) parsed.atScope = true;
    else if ((match = PRINCIPAL_ID_EQ.exec(clause)) && clauses.length === 1) parsed.principalId = literal(match[1]!);
    else if ((match = ASSIGNED_TO.exec(clause)) && parsed.assignedTo === undefined) parsed.assignedTo = literal(match[1]!);
    else throw unsupportedRoleAssignmentFilter(filter);
  }
  if (clauses.length > 2 || (clauses.length === 2 && !(parsed.atScope && parsed.assignedTo))) throw unsupportedRoleAssignmentFilter(filter);
  return parsed;
}

const unsupportedRoleAssignmentFilter = (filter: string) =>
  new EmulatorHttpError(
    400,
    'UnsupportedQuery',
    `The filter '${filter}' is not supported. Supported filters are either 'atScope()' or 'principalId eq '{value}' or assignedTo('{value}')'.`,
  );

// ---- Microsoft.Authorization/roleDefinitions ----

export interface RoleDefinitionFilter {
  roleName?: string;
  type?: 'BuiltInRole' | 'CustomRole';
  /** Also custom roles assignable only below the scope. */
  atScopeAndBelow: boolean;
}

const ROLE_NAME_EQ = new RegExp(`^roleName\\s+eq\\s+${LITERAL}$`, 'i');
const TYPE_EQ = /^type\s+eq\s+'(BuiltInRole|CustomRole)'$/i;
const AT_SCOPE_AND_BELOW = /^atScopeAndBelow\(\)$/i;

/** `roleName eq '{name}'`, `type eq 'BuiltInRole'|'CustomRole'` and `atScopeAndBelow()`, each at most once, joined by `and`. */
export function parseRoleDefinitionFilter(filter: string | undefined): RoleDefinitionFilter {
  const parsed: RoleDefinitionFilter = { atScopeAndBelow: false };
  if (filter === undefined || filter.trim() === '') return parsed;
  for (const clause of filterClauses(filter)) {
    let match: RegExpExecArray | null;
    if ((match = ROLE_NAME_EQ.exec(clause)) && parsed.roleName === undefined) parsed.roleName = literal(match[1]!);
    else if ((match = TYPE_EQ.exec(clause)) && parsed.type === undefined) parsed.type = match[1]!.toLowerCase() === 'builtinrole' ? 'BuiltInRole' : 'CustomRole';
    else if (AT_SCOPE_AND_BELOW.test(clause) && !parsed.atScopeAndBelow) parsed.atScopeAndBelow = true;
    else {
      throw new EmulatorHttpError(
        400,
        'UnsupportedQuery',
        `The filter '${filter}' is not supported. Supported filters are 'roleName eq '{value}'', 'type eq 'BuiltInRole'|'CustomRole'' and 'atScopeAndBelow()'.`,
      );
    }
  }
  return parsed;
}

// ---- Microsoft.Resources resource lists ----

const RESOURCE_TYPE_EQ = new RegExp(`^resourceType\\s+eq\\s+${LITERAL}$`, 'i');

/**
 * Resource lists: only `resourceType eq '{namespace/type}'`. ARM knows many more (tags, names,
 * substringof); those are real features the emulator lacks, so they answer 501, not a wrong list.
 */
export function parseResourceFilter(filter: string | undefined): { resourceType?: string } {
  if (filter === undefined || filter.trim() === '') return {};
  const clauses = filterClauses(filter);
  const match = clauses.length === 1 ? RESOURCE_TYPE_EQ.exec(clauses[0]!) : null;
  if (!match) throw new NotImplementedByEmulator(`the resource list filter '${filter}' (only resourceType eq '{type}' is supported)`);
  return { resourceType: literal(match[1]!) };
}
