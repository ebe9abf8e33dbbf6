import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  INFRA_DIR,
  argumentsOf,
  bicepFiles,
  bodyOf,
  callsOf,
  declaration,
  declarations,
  declaredName,
  decoratorNames,
  descendants,
  parseBicep,
  property,
  propertyKeys,
  references,
  stringValue,
  syntaxErrors,
  valueOf,
  type BicepFile,
  type SyntaxNode,
} from '../support/bicep.ts';

/**
 * What a Bicep compiler would tell us and none can run here: syntax (tree-sitter-bicep), files that exist,
 * modules called with the parameters they declare at the scope they target, parameters that are used, and
 * outputs that carry no secret.
 */
const files = bicepFiles().map((path) => parseBicep(path));

function targetScopeOf(file: BicepFile): string {
  const assignment = file.root.namedChildren.find((node) => node.type === 'target_scope_assignment');
  return stringValue(assignment?.namedChildren[0]) ?? 'resourceGroup';
}

const hasDefault = (parameter: SyntaxNode) => parameter.children.some((child) => child.type === '=');
const isNullable = (parameter: SyntaxNode) => /\?\s*$/.test(parameter.namedChildren.find((child) => child.type === 'type')?.text ?? '');

/**
 * What a compiler would say about the module calls in a set of files: a module file that does not exist,
 * a parameter it does not declare or a required one left out, an output it does not have, or a scope of the
 * wrong kind for its targetScope.
 */
function moduleProblems(set: readonly BicepFile[]): string[] {
  const byPath = new Map(set.map((file) => [file.path, file]));
  const problems: string[] = [];
  for (const file of set) {
    const resourceGroups = new Set(
      declarations(file, 'resource_declaration')
        .filter((resource) => stringValue(resource.namedChildren.find((child) => child.type === 'string'))?.startsWith('Microsoft.Resources/resourceGroups@'))
        .map(declaredName),
    );
    const targets = new Map<string, BicepFile>();
    for (const module of declarations(file, 'module_declaration')) {
      const name = declaredName(module);
      const path = resolve(dirname(file.path), stringValue(module.namedChildren.find((child) => child.type === 'string')) ?? '');
      const target = byPath.get(path);
      if (!target) {
        problems.push(`${file.name}: module ${name} points at ${path}, which is not one of the Bicep files`);
        continue;
      }
      targets.set(name, target);
      const declared = new Map(declarations(target, 'parameter_declaration').map((parameter) => [declaredName(parameter), parameter]));
      const body = bodyOf(module);
      const params = property(body, 'params');
      const given = params ? propertyKeys(params) : [];
      for (const key of given) if (!declared.has(key)) problems.push(`${file.name}: module ${name} passes '${key}', which ${target.name} does not declare`);
      for (const [key, parameter] of declared) {
        if (!hasDefault(parameter) && !isNullable(parameter) && !given.includes(key)) problems.push(`${file.name}: module ${name} leaves out the required '${key}'`);
      }
      const scope = property(body, 'scope');
      const callee = scope?.type === 'call_expression' ? scope.namedChildren[0]!.text : undefined;
      const kind = !scope
        ? targetScopeOf(file)
        : callee && ['subscription', 'managementGroup', 'tenant', 'resourceGroup'].includes(callee)
          ? callee
          : scope.type === 'identifier' && resourceGroups.has(scope.text)
            ? 'resourceGroup'
            : `an unrecognised scope (${scope.text})`;
      if (kind !== targetScopeOf(target)) problems.push(`${file.name}: module ${name} is deployed at ${kind} but ${target.name} targets ${targetScopeOf(target)}`);
    }
    for (const access of descendants(file.root, 'member_expression')) {
      const match = /^([A-Za-z_][A-Za-z0-9_]*)\.outputs\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(access.text);
      const target = match ? targets.get(match[1]!) : undefined;
      if (!target) continue;
      if (!declarations(target, 'output_declaration').map(declaredName).includes(match![2]!)) problems.push(`${file.name}: ${access.text} is not an output of ${target.name}`);
    }
  }
  return problems;
}

test('infra/ holds the templates the deployment needs', () => {
  const names = files.map((file) => file.name);
  for (const expected of ['infra/main.bicep', 'infra/management-group.bicep', 'infra/modules/event-topic.bicep', 'infra/modules/function-app.bicep']) {
    assert.ok(names.includes(expected), `${expected} missing from ${names.join(', ')}`);
  }
});

test('every Bicep file parses without a syntax error', () => {
  for (const file of files) assert.deepEqual(syntaxErrors(file.root), [], file.name);
});

test('the syntax check finds errors in a broken template', () => {
  const main = readFileSync(join(INFRA_DIR, 'main.bicep'), 'utf8');
  const truncated = parseBicep('truncated.bicep', main.slice(0, main.indexOf('module storage') + 40));
  assert.notDeepEqual(syntaxErrors(truncated.root), []);
  const strayBrace = parseBicep('stray.bicep', main.replace("targetScope = 'subscription'", "targetScope = 'subscription' }"));
  assert.notDeepEqual(syntaxErrors(strayBrace.root), []);
  // Only the bare-alias extension statement is set aside for the old grammar, nothing that merely starts like it.
  const badExtension = parseBicep('extension.bicep', "extension microsoftGraphV1 with { x: 1 }\nparam a string\noutput b string = a\n");
  assert.notDeepEqual(syntaxErrors(badExtension.root), []);
});

test('every extension a template uses is declared in infra/bicepconfig.json', () => {
  const config = JSON.parse(readFileSync(join(INFRA_DIR, 'bicepconfig.json'), 'utf8')) as { extensions?: Record<string, string> };
  const used = files.flatMap((file) => file.extensions.map((alias) => ({ file: file.name, alias })));
  assert.ok(used.length > 0, 'the Graph permissions module uses the Microsoft Graph extension');
  for (const { file, alias } of used) {
    assert.match(config.extensions?.[alias] ?? '', /^br:mcr\.microsoft\.com\/bicep\/extensions\/microsoftgraph\/v1\.0:\d+\.\d+\.\d+$/, `${file}: extension ${alias}`);
  }
});

test('every loadJsonContent / loadTextContent file exists', () => {
  let checked = 0;
  for (const file of files) {
    for (const call of ['loadJsonContent', 'loadTextContent', 'loadYamlContent', 'loadFileAsBase64'].flatMap((name) => callsOf(file, name))) {
      const path = stringValue(argumentsOf(call)[0]);
      assert.ok(path, `${file.name}: ${call.text} must name its file with a plain string`);
      assert.ok(existsSync(resolve(dirname(file.path), path)), `${file.name}: ${call.text} reads a file that does not exist`);
      checked += 1;
    }
  }
  assert.ok(checked >= 3, 'main, management-group and event-topic load their data files');
});

test('every module exists, is called with the parameters it declares at the scope it targets, and has the outputs read from it', () => {
  assert.deepEqual(moduleProblems(files), []);
});

test('the module check finds a wrong parameter, a missing one, a wrong scope, an unknown output and a missing file', () => {
  const child = parseBicep(join(INFRA_DIR, 'modules', 'fixture-child.bicep'), "targetScope = 'subscription'\nparam required string\nparam optional int = 1\noutput id string = required\n");
  const parent = parseBicep(
    join(INFRA_DIR, 'fixture-parent.bicep'),
    [
      "module a 'modules/fixture-child.bicep' = {\n  name: 'a'\n  scope: subscription('x')\n  params: {\n    required: 'r'\n    typo: 1\n  }\n}",
      "module b 'modules/fixture-child.bicep' = {\n  name: 'b'\n  params: {\n    optional: 2\n  }\n}",
      "module c 'modules/absent.bicep' = {\n  name: 'c'\n}",
      'output o string = a.outputs.nope',
    ].join('\n'),
  );
  assert.deepEqual(syntaxErrors(parent.root), []);
  const problems = moduleProblems([parent, child]);
  assert.equal(problems.length, 5, problems.join('\n'));
  for (const expected of ["passes 'typo'", "leaves out the required 'required'", 'module b is deployed at resourceGroup', 'modules/absent.bicep', 'a.outputs.nope']) {
    assert.ok(problems.some((problem) => problem.includes(expected)), `${expected} in ${problems.join('\n')}`);
  }
});

test('every declared parameter is used in its file', () => {
  for (const file of files) {
    for (const parameter of declarations(file, 'parameter_declaration')) {
      const name = declaredName(parameter);
      assert.ok(references(file, name).length > 0, `${file.name}: param ${name} is never used`);
    }
  }
});

test('the unused-parameter check sees an unused parameter', () => {
  const file = parseBicep('unused.bicep', "param used string\nparam unused string\nvar x = { unused: used }\noutput y string = x.unused\n");
  const unused = declarations(file, 'parameter_declaration').map(declaredName).filter((name) => references(file, name).length === 0);
  assert.deepEqual(unused, ['unused']);
});

const SECRET_LIKE_NAME = /password|passwd|connection_?string|access_?key|account_?key|instrumentation_?key|shared_?key|sas_?token|client_?secret|secret_?value|token$/i;
const SECRET_PROPERTIES = /\.(connectionString|ConnectionString|InstrumentationKey|primaryKey|secondaryKey|primaryConnectionString|secondaryConnectionString|primaryMasterKey)\b/;

/** Why an output could carry a secret, or undefined. */
function secretReason(file: BicepFile, output: SyntaxNode): string | undefined {
  const name = declaredName(output);
  if (decoratorNames(output).includes('secure')) return 'it is @secure()';
  if (SECRET_LIKE_NAME.test(name)) return 'its name says it holds a secret';
  const value = valueOf(output);
  const secureParameters = declarations(file, 'parameter_declaration').filter((parameter) => decoratorNames(parameter).includes('secure')).map(declaredName);
  const leaked = secureParameters.find((secure) => references(file, secure).some((reference) => reference.startIndex >= value.startIndex && reference.endIndex <= value.endIndex));
  if (leaked) return `it reads the @secure() parameter ${leaked}`;
  if (descendants(value, 'call_expression').some((call) => /^list/i.test(call.namedChildren[0]?.text ?? '') || /\.list\w*$/.test(call.namedChildren[0]?.text ?? ''))) return 'it calls a list*() function';
  if (SECRET_PROPERTIES.test(value.text)) return 'it reads a key or connection string';
  return undefined;
}

test('no output carries a secret', () => {
  let outputs = 0;
  for (const file of files) {
    for (const output of declarations(file, 'output_declaration')) {
      outputs += 1;
      assert.equal(secretReason(file, output), undefined, `${file.name}: output ${declaredName(output)}`);
    }
  }
  assert.ok(outputs > 10);
});

test('the secret-output check catches each way a secret leaks', () => {
  const file = parseBicep(
    'leaky.bicep',
    [
      "@secure()\nparam hook string\nresource ai 'Microsoft.Insights/components@2020-02-02' existing = { name: 'x' }",
      "resource st 'Microsoft.Storage/storageAccounts@2023-05-01' existing = { name: 'y' }",
      "@secure()\noutput a string = 'x'",
      "output webhook string = empty(hook) ? '' : hook",
      "output telemetry string = ai.properties.ConnectionString",
      "output keys string = st.listKeys().keys[0].value",
      "output storagePassword string = 'x'",
      "output fine string = ai.name",
    ].join('\n'),
  );
  assert.deepEqual(syntaxErrors(file.root), []);
  const flagged = declarations(file, 'output_declaration').filter((output) => secretReason(file, output) !== undefined).map(declaredName);
  assert.deepEqual(flagged, ['a', 'webhook', 'telemetry', 'keys', 'storagePassword']);
});

test('resource types use released (non-preview) API versions', () => {
  for (const file of files) {
    for (const resource of declarations(file, 'resource_declaration')) {
      const type = stringValue(resource.namedChildren.find((child) => child.type === 'string'))!;
      // A nested child resource names only its type ('containers'); it inherits its parent's version.
      if (!type.includes('/') && !type.includes('@')) continue;
      assert.match(type, /^[A-Za-z.]+\/[A-Za-z/]+@(\d{4}-\d{2}-\d{2}|v1\.0)$/, `${file.name}: resource ${declaredName(resource)}`);
    }
  }
});

test('the Flex Consumption app runs Node 22 as the bot identity, with no shared-key storage', () => {
  const app = parseBicep(join(INFRA_DIR, 'modules', 'function-app.bicep'));
  const site = bodyOf(declaration(app, 'resource_declaration', 'site'));
  const config = property(property(site, 'properties')!, 'functionAppConfig')!;
  const runtime = property(config, 'runtime')!;
  assert.equal(stringValue(property(runtime, 'name')), 'node');
  assert.equal(stringValue(property(runtime, 'version')), '22');
  const plan = bodyOf(declaration(app, 'resource_declaration', 'plan'));
  assert.equal(stringValue(property(property(plan, 'sku')!, 'tier')), 'FlexConsumption');
  assert.equal(stringValue(property(property(site, 'identity')!, 'type')), 'UserAssigned');
  const settings = app.source.slice(app.source.indexOf("resource appSettings 'config'"));
  for (const setting of ['AZURE_CLIENT_ID: botClientId', "IDWARDEN_CREDENTIAL: 'managed-identity'", "AzureWebJobsStorage__credential: 'managedidentity'", 'APPLICATIONINSIGHTS_CONNECTION_STRING']) {
    assert.ok(settings.includes(setting), `app setting ${setting}`);
  }
  assert.doesNotMatch(settings, /FUNCTIONS_WORKER_RUNTIME|FUNCTIONS_EXTENSION_VERSION/, 'Flex Consumption refuses these settings');
  const storage = parseBicep(join(INFRA_DIR, 'modules', 'storage.bicep'));
  const account = property(bodyOf(declaration(storage, 'resource_declaration', 'account')), 'properties')!;
  assert.equal(property(account, 'allowSharedKeyAccess')?.text, 'false');
});
