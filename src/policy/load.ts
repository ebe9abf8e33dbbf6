/**
 * Reads a policy (YAML, or JSON, which is YAML) into the effective policy and the hash the audit log records.
 * Anything wrong, from a YAML syntax error to a misspelt key, becomes a PolicyError listing every problem.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import YAML, { LineCounter } from 'yaml';
import type { z } from 'zod';
import { didYouMean } from './did-you-mean.ts';
import { PolicyError, type PolicyProblem } from './policy-error.ts';
import { knownKeysAt, policySchema, type Policy, type PolicySchema } from './schema.ts';

export interface LoadedPolicy {
  policy: Policy;
  /** sha256 (hex) of the effective policy's canonical JSON: the same for the same policy however it is written. */
  hash: string;
}

/** `schema` defaults to the catalogue's; tests of the policy machinery pass one built from a few rules. */
export function parsePolicy(text: string, source: string, schema: PolicySchema = policySchema): LoadedPolicy {
  const raw = readDocument(text, source);
  if (raw === null || raw === undefined) throw new PolicyError([{ path: '', message: 'the policy is empty: expected a mapping that starts with version: 1' }], source);
  const parsed = schema.safeParse(raw, { reportInput: true, error: requiredMessage });
  if (!parsed.success) throw new PolicyError(problemsOf(parsed.error.issues, schema), source);
  return { policy: parsed.data, hash: policyHash(parsed.data) };
}

export function loadPolicyFile(file: string, schema: PolicySchema = policySchema): LoadedPolicy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new PolicyError([{ path: '', message: `cannot read the policy file: ${(error as Error).message}` }], file);
  }
  return parsePolicy(text, file, schema);
}

function policyHash(policy: Policy): string {
  return createHash('sha256').update(canonicalJson(policy)).digest('hex');
}

/** JSON with object keys sorted at every level, so key order and formatting don't change the hash. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, member]) => member !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function readDocument(text: string, source: string): unknown {
  const lineCounter = new LineCounter();
  // logLevel 'error': YAML oddities (unknown tags, complex keys) reach the schema as values it refuses, not as console noise.
  const document = YAML.parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  if (document.errors.length > 0) {
    throw new PolicyError(
      document.errors.map((error) => {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        return { path: '', line, column: col, message: `YAML syntax error at line ${line}, column ${col}: ${error.message}` };
      }),
      source,
    );
  }
  try {
    return document.toJS();
  } catch (error) {
    // Unresolved or excessive aliases only surface when the document is turned into values.
    throw new PolicyError([{ path: '', message: `YAML error: ${(error as Error).message}` }], source);
  }
}

/** Zod's default for a missing key says "received undefined"; say "required". */
const requiredMessage = (issue: z.core.$ZodRawIssue) =>
  issue.code === 'invalid_type' && issue.input === undefined ? `required: expected ${issue.expected}` : undefined;

/** `rules.stale-identity.days`, `exemptions[0].expires` */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key, index) => (typeof key === 'number' ? `[${key}]` : index === 0 ? String(key) : `.${String(key)}`)).join('');
}

function problemsOf(issues: readonly z.core.$ZodIssue[], schema: PolicySchema): PolicyProblem[] {
  return issues.flatMap((issue): PolicyProblem[] => {
    if (issue.code !== 'unrecognized_keys') return [{ path: formatPath(issue.path), message: issue.message }];
    // One problem per unknown key, at the key's own path, naming what was probably meant.
    const known = knownKeysAt(schema, issue.path);
    const isRuleId = issue.path.length === 1 && issue.path[0] === 'rules';
    return issue.keys.map((key) => ({
      path: formatPath([...issue.path, key]),
      message: `unknown ${isRuleId ? 'rule' : 'key'} '${key}'${didYouMean(key, known)}; ${isRuleId ? 'known rules' : 'expected one of'}: ${known.join(', ')}`,
    }));
  });
}
