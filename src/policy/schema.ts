/**
 * The `idwarden.policy.yaml` contract (DESIGN.md §6), built from the rule list the way Cloud Custodian builds its
 * schema from its registry: each rule contributes its id, its allowed actions and its own zod params, so the schema,
 * the JSON Schema for editors and the catalogue cannot drift apart.
 *
 * Objects are strict (a misspelt key is an error, never silently ignored) and every check reports with its path, so a
 * policy is refused with all of its problems at once. Parsing fills in every default: the parsed policy is the
 * effective policy, which is what the audit-log hash identifies.
 */
import { z } from 'zod';
import { SEVERITIES, type ActionKind, type Severity } from '../model/finding.ts';
import { rules as catalogRules } from '../rules/catalog/index.ts';
import type { Rule, RuleId } from '../rules/rule.ts';
import { didYouMean } from './did-you-mean.ts';
import { ARM_SCOPE_PATTERN, BROAD_SCOPE_PATTERN, ROOT_SCOPE } from './scope.ts';

export const ENFORCEMENT_MODES = ['dry-run', 'enforce'] as const;
export type Enforcement = (typeof ENFORCEMENT_MODES)[number];

/** Which service principals count as workload identities; managed identities always do. */
export const PRINCIPAL_KINDS = ['ManagedIdentity', 'Application'] as const;
export type PolicyPrincipalKind = (typeof PRINCIPAL_KINDS)[number];

/** An exemption must name at least one of these, so it never silently switches a whole rule off. */
export const EXEMPTION_SELECTORS = ['principalId', 'scope', 'roleAssignmentId', 'identityResourceId'] as const;

/** Keys every rule entry has besides the rule's own params. */
const RULE_SETTING_KEYS = ['enabled', 'action', 'severity'] as const;

/** One rule's entry after parsing: the policy's choices with defaults filled in, plus the rule's own params. */
export interface RuleSettings {
  enabled: boolean;
  action: ActionKind;
  /** Overrides the severity the rule gives its findings; absent means the rule decides. */
  severity?: Severity;
  [param: string]: unknown;
}
export interface RuleSettingsInput {
  enabled?: boolean;
  action?: ActionKind;
  severity?: Severity;
  [param: string]: unknown;
}

const quoted = (values: readonly string[]) => values.map((value) => `'${value}'`).join(', ');
const shown = (input: unknown) => (input === undefined ? 'nothing' : (JSON.stringify(input) ?? String(input)));

const guid = () => z.guid({ error: 'expected a GUID (00000000-0000-0000-0000-000000000000)' });
const nonEmpty = (what: string) => z.string({ error: `expected ${what}` }).trim().min(1, `expected ${what}`);
const emailAddress = z.string().regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'expected an email address (name@example.com)');

/** Values that are secrets rather than the name of the app setting holding one. */
const SECRET_LIKE = /^[a-z][a-z0-9+.-]*:\/\/|^www\.|^(gh[pousr]_|github_pat_)/i;
const APP_SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;

/** The NAME of a Function App setting that holds a secret; the secret itself never belongs in the policy file. */
function appSettingName(holds: string, example: string) {
  return z
    .string({ error: `expected the name of the app setting that holds ${holds} (for example ${example})` })
    .superRefine((value, ctx) => {
      if (SECRET_LIKE.test(value.trim())) {
        // Stops here: a pasted secret needs this message, not also "not a valid name".
        ctx.addIssue({ code: 'custom', continue: false, message: `expected the NAME of the app setting that holds ${holds} (for example ${example}), not the value itself: secrets stay out of the policy file` });
      }
    })
    .regex(APP_SETTING_NAME, `expected an app setting name (letters, digits, '_', '.', ':' or '-', for example ${example})`);
}

const broadScope = z.string().regex(BROAD_SCOPE_PATTERN, `expected '${ROOT_SCOPE}', /providers/Microsoft.Management/managementGroups/{name} or /subscriptions/{guid}`);
const armScope = z.string().regex(ARM_SCOPE_PATTERN, `expected an ARM scope: '${ROOT_SCOPE}', a management group, or /subscriptions/{guid}[/resourceGroups/...]`);
const roleAssignmentId = z
  .string()
  .regex(/^\/.*\/providers\/Microsoft\.Authorization\/roleAssignments\/[0-9a-fA-F-]{36}$/i, 'expected a role assignment id (.../providers/Microsoft.Authorization/roleAssignments/{guid})');
const resourceId = z.string().regex(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/.+/i, 'expected an ARM resource id (/subscriptions/{guid}/resourceGroups/{rg}/providers/...)');

/** `2027-03-31` (valid through that day, UTC) or an ISO 8601 date-time with a zone (`2027-03-31T18:00:00Z`). */
const expiry = z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
  error: (issue) => `expected a date (YYYY-MM-DD) or an ISO 8601 date-time with a time zone (2027-03-31T18:00:00Z), got ${shown(issue.input)}`,
});

const isMapping = (payload: { value: unknown }) => typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value);

function ruleIdSchema(ruleIds: readonly RuleId[]) {
  return z.enum(ruleIds as [RuleId, ...RuleId[]], {
    error: (issue) => `unknown rule ${shown(issue.input)}${typeof issue.input === 'string' ? didYouMean(issue.input, ruleIds) : ''}; known rules: ${ruleIds.join(', ')}`,
  });
}

function exemptionSchema(ruleIds: readonly RuleId[]) {
  return z
    .strictObject({
      rule: ruleIdSchema(ruleIds),
      principalId: guid().optional().describe('The principal (object id) the exemption covers.'),
      scope: armScope
        .refine((scope) => scope.trim() !== ROOT_SCOPE, `'${ROOT_SCOPE}' covers every finding of the rule: to switch a rule off, set rules.<rule>.enabled: false`)
        .optional()
        .describe('Findings at this ARM scope or below it.'),
      roleAssignmentId: roleAssignmentId.optional().describe('One role assignment.'),
      identityResourceId: resourceId.optional().describe('One managed identity, by the ARM id of the identity or of the resource it belongs to.'),
      reason: nonEmpty('a reason (why this is accepted)'),
      expires: expiry.describe('Last day the exemption applies (a date means through that day, UTC), or an exact date-time.'),
      approvedBy: emailAddress.describe('Who approved the exemption.'),
    })
    .check(
      // Runs even when other keys are wrong, so a missing selector is reported together with them.
      z.refine((exemption) => EXEMPTION_SELECTORS.some((selector) => (exemption as Record<string, unknown>)[selector] !== undefined), {
        when: isMapping,
        message: `an exemption needs at least one of ${EXEMPTION_SELECTORS.join(', ')} (to switch a rule off entirely, set rules.<rule>.enabled: false)`,
      }),
    )
    .meta({
      description: 'Accepted findings: still reported, never acted on, until `expires`. Every selector given must match.',
      // The same "at least one selector" rule, for editors reading the JSON Schema.
      anyOf: EXEMPTION_SELECTORS.map((selector) => ({ required: [selector] })),
    });
}

function ruleSettingsSchema(rule: Rule) {
  if (!(rule.params instanceof z.ZodObject)) throw new Error(`rule ${rule.id}: params must be a zod object to be part of the policy schema`);
  const paramShape = rule.params.shape as z.ZodRawShape;
  const clash = RULE_SETTING_KEYS.find((key) => key in paramShape);
  if (clash) throw new Error(`rule ${rule.id}: param '${clash}' clashes with the policy's own rule setting`);
  const allowed = rule.allowedActions;
  return z
    .strictObject({
      enabled: z.boolean().default(true).describe('Whether the rule runs at all.'),
      action: z
        .enum(allowed as [ActionKind, ...ActionKind[]], {
          error: (issue) => `rule '${rule.id}' cannot take action ${shown(issue.input)}: allowed actions are ${quoted(allowed)}`,
        })
        .default(rule.defaultAction)
        .describe(`What to do with a finding: ${allowed.join(' | ')} (default ${rule.defaultAction}).`),
      severity: z.enum(SEVERITIES).optional().describe(`Overrides the severity of this rule's findings (the rule's own: ${rule.defaultSeverity}).`),
      ...paramShape,
    })
    .prefault({})
    .describe(rule.title);
}

function rulesSchema(rules: readonly Rule[]) {
  const shape: Record<string, ReturnType<typeof ruleSettingsSchema>> = {};
  for (const rule of rules) {
    if (shape[rule.id]) throw new Error(`rule ${rule.id} is listed twice`);
    shape[rule.id] = ruleSettingsSchema(rule);
  }
  return z
    .strictObject(shape)
    .prefault({})
    .describe('Per-rule settings; a rule not listed runs with its defaults.') as unknown as z.ZodType<
    Partial<Record<RuleId, RuleSettings>>,
    Partial<Record<RuleId, RuleSettingsInput>> | undefined
  >;
}

/** The policy schema for a rule list (the catalogue in production, a few fakes in tests). */
export function buildPolicySchema(rules: readonly Rule[]) {
  return z
    .strictObject({
      $schema: z.string().optional().describe('Path or URL of idwarden.policy.schema.json, for editors.'),
      version: z.literal(1, { error: (issue) => (issue.input === undefined ? 'required: every policy starts with version: 1' : `expected 1, got ${shown(issue.input)}`) }),
      enforcement: z
        .enum(ENFORCEMENT_MODES, { error: (issue) => `expected 'dry-run' or 'enforce', got ${shown(issue.input)}` })
        .default('dry-run')
        .describe('dry-run (default) decides and reports but changes nothing, opens no ticket and sends no alert; enforce acts.'),
      scope: z
        .strictObject({
          include: z.array(broadScope).min(1, 'expected at least one scope').default([ROOT_SCOPE]).describe('Root, management groups and subscriptions to watch.'),
          exclude: z.array(armScope).default([]).describe('Scopes to leave alone, also resource groups.'),
        })
        .prefault({}),
      principals: z
        .strictObject({
          include: z
            .array(z.enum(PRINCIPAL_KINDS, { error: (issue) => `expected ${quoted(PRINCIPAL_KINDS)}, got ${shown(issue.input)}` }))
            .default(['ManagedIdentity'])
            // Managed identities are always covered; order and duplicates don't change the policy (or its hash).
            .transform((kinds) => PRINCIPAL_KINDS.filter((kind) => kind === 'ManagedIdentity' || kinds.includes(kind)))
            .describe('Workload identities to judge: ManagedIdentity (always), Application to also cover app service principals.'),
        })
        .prefault({}),
      rules: rulesSchema(rules),
      exemptions: z.array(exemptionSchema(rules.map((rule) => rule.id))).default([]),
      guardrails: z
        .strictObject({
          maxRemediationsPerRun: z.int({ error: 'expected a whole number' }).min(0, 'expected 0 or more').default(20).describe('Remediations above this number in one run are skipped and reported.'),
          protectedPrincipals: z.array(guid()).default([]).describe('Principals never remediated (the bot itself always is).'),
        })
        .prefault({}),
      notify: z
        .strictObject({
          teams: z.strictObject({ webhookUrlSetting: appSettingName('the Teams webhook URL', 'TEAMS_WEBHOOK_URL') }).optional(),
          email: z.strictObject({ from: emailAddress, to: z.array(emailAddress).min(1, 'expected at least one recipient') }).optional(),
        })
        .prefault({}),
      tickets: z
        .strictObject({
          github: z
            .strictObject({
              repo: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "expected 'owner/name'"),
              tokenSetting: appSettingName('the GitHub token', 'GITHUB_TOKEN').optional(),
            })
            .optional(),
          azureDevOps: z
            .strictObject({
              organization: nonEmpty('the Azure DevOps organization'),
              project: nonEmpty('the Azure DevOps project'),
              workItemType: nonEmpty('a work item type (Issue, Task, Bug, ...)').optional(),
            })
            .optional(),
        })
        .prefault({}),
    })
    .meta({ title: 'idwarden policy', description: 'What idwarden watches and what it does about each finding (idwarden.policy.yaml).' });
}

export type PolicySchema = ReturnType<typeof buildPolicySchema>;

/** The schema of idwarden's own rule catalogue: what every policy file is checked against. */
export const policySchema: PolicySchema = buildPolicySchema(catalogRules);
export type Policy = z.output<PolicySchema>;
export type PolicyInput = z.input<PolicySchema>;
export type PolicyExemption = Policy['exemptions'][number];

/** Strip `optional`, `default`, `prefault` and pipes to reach the schema that validates the value. */
function underlying(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault || schema instanceof z.ZodPrefault) return underlying(schema.unwrap() as z.ZodType);
  if (schema instanceof z.ZodPipe) return underlying(schema.in as z.ZodType);
  return schema;
}

/** The keys an object in the policy may have at `path` (to explain an unknown key); [] where there is no object. */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node = underlying(schema);
  for (const key of path) {
    if (node instanceof z.ZodObject && typeof key === 'string' && node.shape[key]) node = underlying(node.shape[key] as z.ZodType);
    else if (node instanceof z.ZodArray && typeof key === 'number') node = underlying(node.element as z.ZodType);
    else return [];
  }
  return node instanceof z.ZodObject ? Object.keys(node.shape) : [];
}
