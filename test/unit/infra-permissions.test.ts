import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ZodError } from 'zod';
import { catalog } from '../../emulator/data/catalog.ts';
import {
  BOT_PRINCIPAL_PLACEHOLDER,
  DEPLOYMENT_FLAGS,
  botPermissions,
  conditionFor,
  parseBotPermissions,
  type AzureRoleGrant,
} from '../../src/deploy/bot-permissions.ts';
import { CODE_FEATURES } from '../../src/deploy/feature-permissions.ts';
import { README_FILE, TABLE_END, TABLE_START, renderPermissionsTable } from '../../src/deploy/permissions-table.ts';
import { isPrivilegedAdministrator } from '../../src/rules/role-classification.ts';
import { botGrants } from '../support/bot-grants.ts';
import { INFRA_DIR, argumentsOf, bodyOf, callsOf, declaration, declarations, declaredName, parseBicep, property, propertyKeys, stringValue, valueOf, type BicepFile } from '../support/bicep.ts';

const PERMISSIONS_FILE = join(INFRA_DIR, 'data', 'bot-permissions.json');
const rawPermissions = () => JSON.parse(readFileSync(PERMISSIONS_FILE, 'utf8')) as ReturnType<typeof parseBotPermissions>;
const main = parseBicep(join(INFRA_DIR, 'main.bicep'));
const managementGroup = parseBicep(join(INFRA_DIR, 'management-group.bicep'));

test('every Azure role is a real built-in role: the GUID and the name match the emulator facts', () => {
  const roles = new Map(catalog().roles.map((role) => [role.name, role.roleName]));
  for (const grant of botPermissions.azureRoles) assert.equal(roles.get(grant.roleDefinitionId), grant.roleName, `${grant.name}: ${grant.roleDefinitionId}`);
});

test('every Graph app role is a real Microsoft Graph application permission: the id and the value match the emulator facts', () => {
  const appRoles = new Map(catalog().graphAppRoles.map((appRole) => [appRole.id, appRole.value]));
  for (const grant of botPermissions.graphAppRoles) assert.equal(appRoles.get(grant.id), grant.value, `${grant.name}: ${grant.id}`);
});

const rbacAdministrator = botPermissions.azureRoles.find((role) => role.condition !== null) as AzureRoleGrant & { condition: string };
const GUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

test('remediation is granted as Role Based Access Control Administrator, constrained in the documented "constrain roles" format', () => {
  assert.equal(rbacAdministrator.roleName, 'Role Based Access Control Administrator');
  assert.equal(rbacAdministrator.enabledBy, 'enableRemediation');
  const condition = rbacAdministrator.condition;
  // ((!(write)) OR (request constraints)) AND ((!(delete)) OR (resource constraints)): both actions are constrained.
  const shape = new RegExp(
    String.raw`^\(\(!\(ActionMatches\{'Microsoft\.Authorization/roleAssignments/write'\}\)\) OR \((?<write>@Request\[.+?)\)\) AND \(\(!\(ActionMatches\{'Microsoft\.Authorization/roleAssignments/delete'\}\)\) OR \((?<delete>@Resource\[.+)\)\)$`,
  );
  const match = shape.exec(condition);
  assert.ok(match?.groups, `the condition has the write/delete shape: ${condition}`);
  assert.doesNotMatch(match.groups['write']!, /@Resource\[/, 'write constraints read the request');
  assert.doesNotMatch(match.groups['delete']!, /@Request\[/, 'delete constraints read the existing assignment');
  let depth = 0;
  for (const character of condition) {
    depth += character === '(' ? 1 : character === ')' ? -1 : 0;
    assert.ok(depth >= 0, 'parentheses balance');
  }
  assert.equal(depth, 0, 'parentheses balance');
  for (const expression of condition.matchAll(/@(Request|Resource)\[Microsoft\.Authorization\/roleAssignments:(\w+)\] (\S+) \{([^}]*)\}/g)) {
    assert.ok(['RoleDefinitionId', 'PrincipalId', 'PrincipalType'].includes(expression[2]!), `attribute ${expression[2]}`);
    assert.match(expression[3]!, /^ForAnyOf(Any|All)Values:(GuidEquals|GuidNotEquals|StringEqualsIgnoreCase)$/, `operator ${expression[3]}`);
  }
});

test('the condition lets the bot create only the built-in administrator roles the down-scope re-creates, for service principals, never for itself', () => {
  const write = /@Request\[Microsoft\.Authorization\/roleAssignments:RoleDefinitionId\] ForAnyOfAnyValues:GuidEquals \{([^}]*)\}/.exec(rbacAdministrator.condition);
  assert.ok(write, 'the write branch names the role definitions');
  const allowed = new Set(write[1]!.split(',').map((id) => id.trim()));
  // What privileged-role-broad-scope can find at subscription or management-group scope among the built-ins: administrator roles assignable at '/'.
  const downscopable = catalog()
    .roles.filter((role) => role.assignableScopes.includes('/') && isPrivilegedAdministrator({ ...role, roleType: 'BuiltInRole' }))
    .map((role) => role.name);
  assert.deepEqual([...allowed].sort(), downscopable.sort());
  assert.match(rbacAdministrator.condition, /@Request\[Microsoft\.Authorization\/roleAssignments:PrincipalType\] ForAnyOfAnyValues:StringEqualsIgnoreCase \{'ServicePrincipal'\}/);
  assert.match(rbacAdministrator.condition, new RegExp(String.raw`@Request\[Microsoft\.Authorization/roleAssignments:PrincipalId\] ForAnyOfAllValues:GuidNotEquals \{${BOT_PRINCIPAL_PLACEHOLDER}\}`));
  assert.match(rbacAdministrator.condition, new RegExp(String.raw`@Resource\[Microsoft\.Authorization/roleAssignments:PrincipalId\] ForAnyOfAllValues:GuidNotEquals \{${BOT_PRINCIPAL_PLACEHOLDER}\}`));
});

test('the deployed condition names the bot by its object id', () => {
  const bot = 'b0700000-0000-4000-8000-000000000001';
  const deployed = conditionFor(rbacAdministrator, bot)!;
  assert.ok(!deployed.includes(BOT_PRINCIPAL_PLACEHOLDER));
  assert.equal(deployed.split(bot).length - 1, 2);
  for (const list of deployed.matchAll(/ForAnyOf\w+Values:Guid\w+ \{([^}]*)\}/g)) {
    for (const id of list[1]!.split(',')) assert.match(id.trim(), new RegExp(`^${GUID}$`));
  }
  // Both role-assignment templates make the same substitution.
  for (const file of [parseBicep(join(INFRA_DIR, 'modules', 'bot-azure-roles.bicep')), managementGroup]) {
    const replaces = callsOf(file, 'replace').filter((call) => argumentsOf(call)[0]?.text === 'role.condition');
    assert.equal(replaces.length, 1, file.name);
    assert.equal(stringValue(argumentsOf(replaces[0]!)[1]), BOT_PRINCIPAL_PLACEHOLDER, file.name);
    assert.equal(argumentsOf(replaces[0]!)[2]?.text, 'botPrincipalId', file.name);
  }
});

/** The keys of a template's featureFlags object. */
function featureFlagsOf(file: BicepFile): string[] {
  return propertyKeys(valueOf(declaration(file, 'variable_declaration', 'featureFlags')));
}

test('main.bicep loads the permissions file and has one bool parameter, off by default, for every flag a grant names', () => {
  const loads = callsOf(main, 'loadJsonContent').map((call) => stringValue(argumentsOf(call)[0]));
  assert.ok(loads.includes('data/bot-permissions.json'));
  assert.deepEqual(featureFlagsOf(main), ['always', ...DEPLOYMENT_FLAGS]);
  for (const flag of DEPLOYMENT_FLAGS) {
    const parameter = declaration(main, 'parameter_declaration', flag);
    assert.match(parameter.text, new RegExp(`^param ${flag} bool = false$`), `${flag}: least privilege unless asked`);
  }
  const used = new Set([...botPermissions.azureRoles, ...botPermissions.graphAppRoles].map((grant) => grant.enabledBy));
  for (const flag of used) assert.ok(featureFlagsOf(main).includes(flag), flag);
});

test('main.bicep hands each module the grants of its scope, filtered by the deployment flags', () => {
  const filtered = (text: string) => text.replace(/\s+/g, ' ');
  assert.equal(filtered(valueOf(declaration(main, 'variable_declaration', 'azureRoles')).text), 'filter(botPermissions.azureRoles, role => featureFlags[role.enabledBy])');
  assert.equal(filtered(valueOf(declaration(main, 'variable_declaration', 'graphAppRoles')).text), 'filter(botPermissions.graphAppRoles, appRole => featureFlags[appRole.enabledBy])');
  for (const [variable, module, parameter, scope] of [
    ['targetRoles', 'targetRoleAssignments', 'roles', 'target'],
    ['storageRoles', 'storage', 'botRoles', 'storage'],
    ['keyVaultRoles', 'keyVault', 'botRoles', 'keyVault'],
  ] as const) {
    assert.equal(filtered(valueOf(declaration(main, 'variable_declaration', variable)).text), `filter(azureRoles, role => role.scope == '${scope}')`);
    assert.equal(property(property(bodyOf(declaration(main, 'module_declaration', module)), 'params')!, parameter)?.text, variable, `module ${module} gets the ${scope} roles`);
  }
  assert.equal(property(property(bodyOf(declaration(main, 'module_declaration', 'graphPermissions')), 'params')!, 'appRoles')?.text, 'graphAppRoles');
  // Every scope the file uses is deployed somewhere.
  assert.deepEqual(new Set(botPermissions.azureRoles.map((role) => role.scope)), new Set(['target', 'storage', 'keyVault']));
});

test('management-group.bicep assigns the same target roles with the same flags', () => {
  assert.deepEqual(callsOf(managementGroup, 'loadJsonContent').map((call) => stringValue(argumentsOf(call)[0])), ['data/bot-permissions.json']);
  const flags = featureFlagsOf(managementGroup);
  for (const role of botPermissions.azureRoles.filter((role) => role.scope === 'target')) assert.ok(flags.includes(role.enabledBy), `${role.name}: ${role.enabledBy}`);
  for (const flag of flags.filter((flag) => flag !== 'always')) assert.match(declaration(managementGroup, 'parameter_declaration', flag).text, new RegExp(`^param ${flag} bool = false$`));
  assert.equal(
    valueOf(declaration(managementGroup, 'variable_declaration', 'targetRoles')).text,
    "filter(filter(botPermissions.azureRoles, role => role.scope == 'target'), role => featureFlags[role.enabledBy])",
  );
  assert.deepEqual(declarations(managementGroup, 'resource_declaration').map(declaredName), ['assignments']);
});

test('every permission the file grants serves a feature the code declares, and every feature the code needs is granted', () => {
  const needed = new Set<string>(Object.values(CODE_FEATURES).flatMap((feature) => feature.needs));
  const declared = new Set(botPermissions.features.map((feature) => feature.name));
  for (const feature of declared) assert.ok(needed.has(feature), `the file grants '${feature}', which no code feature needs (src/deploy/feature-permissions.ts)`);
  for (const feature of needed) assert.ok(declared.has(feature), `the code needs '${feature}', which infra/data/bot-permissions.json does not grant`);
  for (const grant of [...botPermissions.azureRoles, ...botPermissions.graphAppRoles, ...botPermissions.manualGrants]) {
    assert.ok(grant.features.some((feature) => needed.has(feature)), `${grant.name} serves nothing the code does`);
  }
});

test('the permissions file is refused, with every problem, when a grant serves an unknown feature, a feature has no grant, or a condition sits on the wrong scope', () => {
  const broken = rawPermissions();
  broken.azureRoles[0]!.features = ['sweep-read', 'no-such-feature'];
  broken.features.push({ name: 'ungranted', description: 'nothing grants this' });
  broken.azureRoles.find((role) => role.scope === 'storage')!.condition = "@Resource[x] StringEquals 'y'";
  broken.graphAppRoles[1]!.name = broken.graphAppRoles[0]!.name;
  try {
    parseBotPermissions(broken);
    assert.fail('expected a ZodError');
  } catch (error) {
    assert.ok(error instanceof ZodError);
    const messages = error.issues.map((issue) => issue.message).join('\n');
    for (const expected of ["'no-such-feature' is not a declared feature", "no grant serves the feature 'ungranted'", 'conditions are only deployed on target-scope roles', 'is used twice']) {
      assert.ok(messages.includes(expected), `${expected} in:\n${messages}`);
    }
  }
  const badGuid = rawPermissions();
  badGuid.graphAppRoles[0]!.id = 'Directory.Read.All';
  assert.throws(() => parseBotPermissions(badGuid), ZodError);
});

test('the emulator grants follow the deployment flags and carry the deployed conditions', () => {
  const principalId = 'b0700000-0000-4000-8000-000000000001';
  const scopes = ['/subscriptions/5b000001-0000-4000-8000-000000000001', '/subscriptions/5b000002-0000-4000-8000-000000000002'];
  const readOnly = botGrants({ principalId, targetScopes: scopes });
  assert.deepEqual(readOnly.roleAssignments.map((assignment) => `${assignment.role} ${assignment.scope}`), scopes.map((scope) => `acdd72a7-3385-48ef-bd42-f606fba81ae7 ${scope}`));
  assert.deepEqual(readOnly.appRoleAssignments, [{ principalId, permission: 'Directory.Read.All' }]);
  const everything = botGrants({ principalId, targetScopes: scopes.slice(0, 1), flags: Object.fromEntries(DEPLOYMENT_FLAGS.map((flag) => [flag, true])) });
  assert.deepEqual(
    everything.roleAssignments.map((assignment) => assignment.role),
    botPermissions.azureRoles.filter((role) => role.scope === 'target').map((role) => role.roleDefinitionId),
  );
  const targetRoles = botPermissions.azureRoles.filter((role) => role.scope === 'target');
  assert.deepEqual(
    everything.roleAssignments.map((assignment) => assignment.condition),
    targetRoles.map((role) => conditionFor(role, principalId)),
    'conditioned as deployed, the bot id substituted (the emulator evaluates them)',
  );
  assert.ok(everything.roleAssignments.some((assignment) => assignment.condition?.includes(principalId)));
  assert.deepEqual(everything.appRoleAssignments.map((grant) => grant.permission), botPermissions.graphAppRoles.map((grant) => grant.value));
});

test("the README's permissions table is the one the file generates", () => {
  const readme = readFileSync(README_FILE, 'utf8');
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  assert.ok(start >= 0 && end > start, 'README.md has the generated permissions block');
  assert.equal(readme.slice(start + TABLE_START.length, end).trim(), renderPermissionsTable().trim(), 'regenerate: node --import tsx src/deploy/write-permissions-table.ts');
  for (const grant of [...botPermissions.azureRoles.map((role) => role.roleName), ...botPermissions.graphAppRoles.map((appRole) => appRole.value)]) {
    assert.ok(renderPermissionsTable().includes(`**${grant}**`), grant);
  }
});
