import { GUID } from '../state/ids.ts';
import { actionMatches } from './rbac.ts';

/**
 * Azure ABAC role-assignment conditions (conditionVersion 2.0), limited to the subset Microsoft documents for
 * delegating role-assignment management ("Examples to delegate Azure role assignment management with
 * conditions", azure-docs articles/role-based-access-control/delegate-role-assignments-examples.md):
 *
 *   condition  := or
 *   or         := and (('OR' | '||') and)*
 *   and        := unary (('AND' | '&&') unary)*
 *   unary      := '!' unary | '(' or ')' | action | comparison
 *   action     := 'ActionMatches' '{' quoted '}'
 *   comparison := ('@Request' | '@Resource') '[Microsoft.Authorization/roleAssignments:' attribute ']' operator values
 *   attribute  := 'RoleDefinitionId' | 'PrincipalId' | 'PrincipalType'
 *   values     := '{' value (',' value)* '}' | value          value := quoted | bare GUID
 *
 * AND and OR may not be mixed at one level without parentheses (the docs always parenthesise). Anything else
 * (other attributes, @Principal/@Environment, SubOperationMatches, other operators) is unsupported: the
 * assignment grants nothing and the emulator says once which construct it did not understand.
 */

/** The role assignment a request creates (`request`) or deletes (`resource`), as ABAC attributes see it. */
export interface RoleAssignmentAttributes {
  roleDefinitionId?: string | undefined;
  principalId?: string | undefined;
  principalType?: string | undefined;
}

export interface AuthorizationContext {
  request?: RoleAssignmentAttributes;
  resource?: RoleAssignmentAttributes;
}

const ATTRIBUTE_NAMESPACE = 'Microsoft.Authorization/roleAssignments:';
const ATTRIBUTES = { RoleDefinitionId: 'roleDefinitionId', PrincipalId: 'principalId', PrincipalType: 'principalType' } as const;
type AttributeName = keyof typeof ATTRIBUTES;

type Comparator = 'GuidEquals' | 'GuidNotEquals' | 'StringEqualsIgnoreCase' | 'StringNotEquals';
type Quantifier = 'ForAnyOfAnyValues' | 'ForAnyOfAllValues' | null;
/** The operators of the documented subset, as written, with their quantifier and comparator. */
const OPERATORS: Record<string, { quantifier: Quantifier; comparator: Comparator }> = {
  'ForAnyOfAnyValues:GuidEquals': { quantifier: 'ForAnyOfAnyValues', comparator: 'GuidEquals' },
  'ForAnyOfAllValues:GuidNotEquals': { quantifier: 'ForAnyOfAllValues', comparator: 'GuidNotEquals' },
  'ForAnyOfAnyValues:StringEqualsIgnoreCase': { quantifier: 'ForAnyOfAnyValues', comparator: 'StringEqualsIgnoreCase' },
  'ForAnyOfAllValues:StringNotEquals': { quantifier: 'ForAnyOfAllValues', comparator: 'StringNotEquals' },
  GuidEquals: { quantifier: null, comparator: 'GuidEquals' },
  GuidNotEquals: { quantifier: null, comparator: 'GuidNotEquals' },
  StringEqualsIgnoreCase: { quantifier: null, comparator: 'StringEqualsIgnoreCase' },
};

export type ConditionNode =
  | { kind: 'and' | 'or'; operands: ConditionNode[] }
  | { kind: 'not'; operand: ConditionNode }
  | { kind: 'action'; pattern: string }
  | { kind: 'compare'; source: 'request' | 'resource'; attribute: AttributeName; quantifier: Quantifier; comparator: Comparator; values: string[] };

/** A construct outside the subset; the message names it. */
export class UnsupportedCondition extends Error {}

type Token =
  | { kind: 'punct'; text: '(' | ')' | '{' | '}' | ',' | '!' }
  | { kind: 'attribute'; source: string; name: string; text: string }
  | { kind: 'quoted'; value: string; text: string }
  | { kind: 'word'; text: string };

const TOKEN = /\s*(?:([(){},!])|(&&|\|\|)|@(\w+)\[([^\]]*)\]|'([^']*)'|([A-Za-z0-9_.:/-]+)|(\S))/y;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(text);
    if (!match) break; // only trailing whitespace is left
    const [whole, punct, logical, source, name, quoted, word, other] = match;
    if (punct) tokens.push({ kind: 'punct', text: punct as Extract<Token, { kind: 'punct' }>['text'] });
    else if (logical) tokens.push({ kind: 'word', text: logical === '&&' ? 'AND' : 'OR' });
    else if (source) tokens.push({ kind: 'attribute', source, name: name!, text: whole.trim() });
    else if (quoted !== undefined) tokens.push({ kind: 'quoted', value: quoted, text: whole.trim() });
    else if (word) tokens.push({ kind: 'word', text: word });
    else throw new UnsupportedCondition(`unexpected '${other ?? whole.trim()}' at offset ${at}`);
  }
  return tokens;
}

class Parser {
  private position = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): ConditionNode {
    const node = this.logical();
    if (this.peek()) throw new UnsupportedCondition(`unexpected '${this.peek()!.text}' after a complete expression`);
    return node;
  }

  private logical(): ConditionNode {
    const operands = [this.unary()];
    let joiner: 'AND' | 'OR' | undefined;
    for (let next = this.peekWord(); next === 'AND' || next === 'OR'; next = this.peekWord()) {
      if (joiner && joiner !== next) throw new UnsupportedCondition('AND and OR mixed at one level without parentheses');
      joiner = next;
      this.position++;
      operands.push(this.unary());
    }
    return joiner ? { kind: joiner === 'AND' ? 'and' : 'or', operands } : operands[0]!;
  }

  private unary(): ConditionNode {
    const token = this.next('an expression');
    if (token.kind === 'punct' && token.text === '!') return { kind: 'not', operand: this.unary() };
    if (token.kind === 'punct' && token.text === '(') {
      const inner = this.logical();
      this.expect(')');
      return inner;
    }
    if (token.kind === 'word' && token.text === 'ActionMatches') {
      this.expect('{');
      const pattern = this.next('an action');
      if (pattern.kind !== 'quoted') throw new UnsupportedCondition(`ActionMatches needs a quoted action, not '${pattern.text}'`);
      this.expect('}');
      return { kind: 'action', pattern: pattern.value };
    }
    if (token.kind === 'attribute') return this.comparison(token);
    throw new UnsupportedCondition(`'${token.text}'`);
  }

  private comparison(attribute: Extract<Token, { kind: 'attribute' }>): ConditionNode {
    const source = attribute.source === 'Request' ? 'request' : attribute.source === 'Resource' ? 'resource' : undefined;
    const name = attribute.name.startsWith(ATTRIBUTE_NAMESPACE) ? attribute.name.slice(ATTRIBUTE_NAMESPACE.length) : undefined;
    if (!source || !name || !Object.hasOwn(ATTRIBUTES, name)) throw new UnsupportedCondition(`attribute ${attribute.text}`);
    const operatorToken = this.next('an operator');
    const operator = operatorToken.kind === 'word' && Object.hasOwn(OPERATORS, operatorToken.text) ? OPERATORS[operatorToken.text]! : undefined;
    if (!operator) throw new UnsupportedCondition(`operator '${operatorToken.text}'`);
    const values = this.values(operator.quantifier !== null);
    const guids = operator.comparator.startsWith('Guid');
    if (guids !== (name !== 'PrincipalType')) throw new UnsupportedCondition(`operator '${operatorToken.text}' on ${name}`);
    const notGuid = guids ? values.find((value) => !GUID.test(value)) : undefined;
    if (notGuid !== undefined) throw new UnsupportedCondition(`'${notGuid}' is not a GUID (in ${attribute.text} ${operatorToken.text})`);
    return { kind: 'compare', source, attribute: name as AttributeName, ...operator, values };
  }

  /** `{a, b}` for the cross-product operators; one value for the plain ones. */
  private values(list: boolean): string[] {
    if (!list) return [this.value()];
    this.expect('{');
    const values = [this.value()];
    while (this.peek()?.text === ',') {
      this.position++;
      values.push(this.value());
    }
    this.expect('}');
    return values;
  }

  private value(): string {
    const token = this.next('a value');
    if (token.kind === 'quoted') return token.value;
    if (token.kind === 'word' && GUID.test(token.text)) return token.text;
    throw new UnsupportedCondition(`value '${token.text}' (strings must be quoted)`);
  }

  private expect(text: string): void {
    const token = this.next(`'${text}'`);
    if (token.text !== text) throw new UnsupportedCondition(`expected '${text}' but found '${token.text}'`);
  }

  private next(what: string): Token {
    const token = this.tokens[this.position++];
    if (!token) throw new UnsupportedCondition(`the condition ends where ${what} should follow`);
    return token;
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private peekWord(): string | undefined {
    const token = this.peek();
    return token?.kind === 'word' ? token.text : undefined;
  }
}

/** Throws UnsupportedCondition for anything outside the subset. */
export function parseCondition(text: string): ConditionNode {
  return new Parser(tokenize(text)).parse();
}

function compare(comparator: Comparator, left: string, right: string): boolean {
  switch (comparator) {
    case 'GuidEquals':
    case 'StringEqualsIgnoreCase':
      return left.toLowerCase() === right.toLowerCase();
    case 'GuidNotEquals':
      return left.toLowerCase() !== right.toLowerCase();
    case 'StringNotEquals':
      return left !== right;
  }
}

/** Whether the condition holds for this action and request. A missing attribute makes its comparison false (fails closed). */
export function evaluateCondition(node: ConditionNode, action: string, context: AuthorizationContext): boolean {
  switch (node.kind) {
    case 'and':
      return node.operands.every((operand) => evaluateCondition(operand, action, context));
    case 'or':
      return node.operands.some((operand) => evaluateCondition(operand, action, context));
    case 'not':
      return !evaluateCondition(node.operand, action, context);
    case 'action':
      return actionMatches(node.pattern, action);
    case 'compare': {
      const { comparator, quantifier, values } = node;
      const value = context[node.source]?.[ATTRIBUTES[node.attribute]];
      if (value === undefined) return false;
      const matches = (right: string) => compare(comparator, value, right);
      // One attribute value on the left, so "for any of" the left is that value.
      if (quantifier === 'ForAnyOfAllValues') return values.every(matches);
      if (quantifier === 'ForAnyOfAnyValues') return values.some(matches);
      return matches(values[0]!);
    }
  }
}

const parsed = new Map<string, ConditionNode | UnsupportedCondition>();

/**
 * Whether a role assignment's condition lets its role grant this action for this request. A condition outside
 * the subset grants nothing, and is reported once per condition text.
 */
export function conditionAllows(condition: string, action: string, context: AuthorizationContext): boolean {
  let node = parsed.get(condition);
  if (!node) {
    try {
      node = parseCondition(condition);
    } catch (error) {
      if (!(error instanceof UnsupportedCondition)) throw error;
      node = error;
      console.warn(`[emulator] ABAC condition not understood (${error.message}); the assignment grants nothing: ${condition}`);
    }
    parsed.set(condition, node);
  }
  return !(node instanceof UnsupportedCondition) && evaluateCondition(node, action, context);
}
