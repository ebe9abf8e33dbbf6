import { createRequire } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { SyntaxNode } from 'tree-sitter';

/**
 * Bicep files as syntax trees, for the infra tests: no Bicep compiler runs on our machines, so the templates are
 * checked with tree-sitter-bicep (syntax) plus the structural checks the tests build on these helpers.
 */
const require = createRequire(import.meta.url);
const Parser = require('tree-sitter') as typeof import('tree-sitter');
const Bicep = require('tree-sitter-bicep') as import('tree-sitter').Language;

export type { SyntaxNode };

export const REPO_ROOT = join(import.meta.dirname, '..', '..');
export const INFRA_DIR = join(REPO_ROOT, 'infra');

export interface BicepFile {
  /** Absolute path. */
  path: string;
  /** Path from the repository root, for messages. */
  name: string;
  source: string;
  root: SyntaxNode;
  /** Aliases named by `extension <alias>` statements. */
  extensions: string[];
}

/**
 * tree-sitter-bicep 1.1.0 predates the `extension` keyword (Bicep 0.30): its grammar only knows the older
 * `provider '<ref>'` form of that statement. The bare-alias form is therefore blanked out (same length, so
 * positions stay right) and reported, for the tests to check against bicepconfig.json.
 */
const EXTENSION_STATEMENT = /^extension[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]*$/gm;

export function parseBicep(path: string, source = readFileSync(path, 'utf8')): BicepFile {
  const extensions: string[] = [];
  const masked = source.replace(EXTENSION_STATEMENT, (statement, alias: string) => {
    extensions.push(alias);
    return ' '.repeat(statement.length);
  });
  const parser = new Parser();
  parser.setLanguage(Bicep);
  return { path, name: relative(REPO_ROOT, path), source, root: parser.parse(masked).rootNode, extensions };
}

/** Every .bicep file under infra/, sorted. */
export function bicepFiles(directory = INFRA_DIR): string[] {
  return readdirSync(directory, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.bicep'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** ERROR and MISSING nodes, with their position: what a Bicep syntax error looks like to tree-sitter. */
export function syntaxErrors(root: SyntaxNode): string[] {
  const errors: string[] = [];
  const visit = (node: SyntaxNode) => {
    if (node.type === 'ERROR' || node.isMissing) {
      const what = node.isMissing ? `missing ${node.type}` : `unexpected ${JSON.stringify(node.text.slice(0, 60))}`;
      errors.push(`${node.startPosition.row + 1}:${node.startPosition.column + 1} ${what}`);
    }
    for (const child of node.children) visit(child);
  };
  visit(root);
  return errors;
}

export function descendants(node: SyntaxNode, type: string): SyntaxNode[] {
  return node.descendantsOfType(type);
}

const ESCAPES: Record<string, string> = { "\\'": "'", '\\\\': '\\', '\\n': '\n', '\\r': '\r', '\\t': '\t', '\\$': '$' };

/** The text of a string literal; undefined for an interpolated string or any other expression. */
export function stringValue(node: SyntaxNode | null | undefined): string | undefined {
  if (!node || node.type !== 'string') return undefined;
  if (node.text.startsWith("'''")) return node.text.slice(3, -3);
  if (node.namedChildren.some((child) => child.type === 'interpolation')) return undefined;
  return node.namedChildren.map((child) => (child.type === 'escape_sequence' ? (ESCAPES[child.text] ?? child.text) : child.text)).join('');
}

/** The name a declaration (param, var, resource, module, output) declares. */
export function declaredName(declaration: SyntaxNode): string {
  const name = declaration.namedChildren.find((child) => child.type === 'identifier');
  if (!name) throw new Error(`no name in ${declaration.type} at line ${declaration.startPosition.row + 1}`);
  return name.text;
}

export function declarations(file: BicepFile, type: 'parameter_declaration' | 'variable_declaration' | 'resource_declaration' | 'module_declaration' | 'output_declaration'): SyntaxNode[] {
  return file.root.namedChildren.filter((node) => node.type === type);
}

export function declaration(file: BicepFile, type: Parameters<typeof declarations>[1], name: string): SyntaxNode {
  const found = declarations(file, type).find((node) => declaredName(node) === name);
  if (!found) throw new Error(`${file.name} declares no ${type.replace('_declaration', '')} '${name}'`);
  return found;
}

/** A declaration's value: what follows its `=` (an object, a `for` loop, an `if`, or an expression). */
export function valueOf(declaration: SyntaxNode): SyntaxNode {
  const equals = declaration.children.findIndex((child) => child.type === '=');
  const value = declaration.children[equals + 1];
  if (equals < 0 || !value) throw new Error(`no value in ${declaration.type} at line ${declaration.startPosition.row + 1}`);
  return value;
}

/** The decorator names on a declaration (`@secure()` → 'secure'): tree-sitter puts them in the preceding sibling. */
export function decoratorNames(declaration: SyntaxNode): string[] {
  const previous = declaration.previousNamedSibling;
  if (previous?.type !== 'decorators') return [];
  return previous.namedChildren.map((decorator) => decorator.namedChildren[0]?.namedChildren[0]?.text ?? decorator.text);
}

/** The body object of a resource or module: the object itself, or the one inside `[for ...: {}]` / `if (...) {}`. */
export function bodyOf(declaration: SyntaxNode): SyntaxNode {
  const value = valueOf(declaration);
  const body = value.type === 'object' ? value : value.namedChildren.findLast((child) => child.type === 'object');
  if (!body) throw new Error(`no body object in ${declaration.type} ${declaredName(declaration)}`);
  return body;
}

/** The value of `key` in an object literal. */
export function property(object: SyntaxNode, key: string): SyntaxNode | undefined {
  const found = object.namedChildren.find((child) => child.type === 'object_property' && child.namedChildren[0]?.text === key);
  return found?.namedChildren[found.namedChildren.length - 1];
}

export function propertyKeys(object: SyntaxNode): string[] {
  return object.namedChildren.filter((child) => child.type === 'object_property').map((child) => child.namedChildren[0]!.text);
}

/** Calls of a function by name, anywhere in the file. */
export function callsOf(file: BicepFile, functionName: string): SyntaxNode[] {
  return descendants(file.root, 'call_expression').filter((call) => call.namedChildren[0]?.text === functionName);
}

/** The argument expressions of a call. */
export function argumentsOf(call: SyntaxNode): SyntaxNode[] {
  return call.namedChildren.find((child) => child.type === 'arguments')?.namedChildren ?? [];
}

/**
 * Identifiers that refer to `name`: not the declaration's own name, not an object key, not a decorator or
 * function name. Enough for "is this parameter used", which is what it serves.
 */
export function references(file: BicepFile, name: string): SyntaxNode[] {
  return descendants(file.root, 'identifier').filter((node) => {
    if (node.text !== name) return false;
    const parent = node.parent;
    if (!parent) return false;
    if (parent.type.endsWith('_declaration') && parent.namedChildren.find((child) => child.type === 'identifier') === node) return false;
    if (parent.type === 'object_property' && parent.namedChildren[0] === node) return false;
    if (parent.type === 'call_expression' && parent.namedChildren[0] === node) return false;
    return true;
  });
}
