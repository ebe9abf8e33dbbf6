import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import YAML from 'yaml';
import { DEPLOYMENT_FLAG_VARIABLES, DEPLOYMENT_FLAGS } from '../../src/deploy/bot-permissions.ts';
import { INFRA_DIR, REPO_ROOT, declarations, declaredName, parseBicep } from '../support/bicep.ts';

/** azure.yaml, the parameter file azd fills from its environment, the hooks, the build and the package. */
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, any>;
const azureYaml = YAML.parse(readFileSync(join(REPO_ROOT, 'azure.yaml'), 'utf8')) as Record<string, any>;
const main = parseBicep(join(INFRA_DIR, 'main.bicep'));
const parameters = readJson(join(INFRA_DIR, 'main.parameters.json'))['parameters'] as Record<string, { value: string }>;

test('azure.yaml deploys this project as the idwarden Node function app from infra/main.bicep', () => {
  assert.equal(azureYaml['name'], 'idwarden');
  assert.deepEqual(azureYaml['infra'], { provider: 'bicep', path: 'infra', module: 'main' });
  const service = azureYaml['services']?.['idwarden'];
  assert.equal(service?.project, '.');
  assert.equal(service?.language, 'js');
  assert.equal(service?.host, 'function');
  assert.equal(service?.hooks?.prepackage?.run, 'npm run build');
  // azd finds the app to deploy by this tag.
  assert.ok(readFileSync(join(INFRA_DIR, 'modules', 'function-app.bicep'), 'utf8').includes("{ 'azd-service-name': 'idwarden' }"));
});

test('every azd hook runs a script that exists and is executable', () => {
  const hooks = [...Object.values(azureYaml['hooks'] ?? {}), ...Object.values(azureYaml['services']['idwarden']['hooks'] ?? {})] as { run: string }[];
  const scripts = hooks.map((hook) => hook.run).filter((run) => run.startsWith('./'));
  assert.deepEqual(scripts.sort(), ['./infra/scripts/postdeploy.sh', './infra/scripts/postprovision.sh']);
  for (const script of [...scripts, './infra/scripts/grant-graph-permissions.sh']) {
    accessSync(join(REPO_ROOT, script), constants.X_OK);
    assert.match(readFileSync(join(REPO_ROOT, script), 'utf8'), /^#!\/bin\/sh\n/, `${script} runs under plain sh`);
  }
});

test('npm run build compiles functions/ and src/ to dist/, where package.json says the entry point is', () => {
  const packageJson = readJson(join(REPO_ROOT, 'package.json'));
  assert.equal(packageJson['scripts']['build'], 'tsc -p tsconfig.build.json && node bin/copy-build-assets.mjs');
  const build = readJson(join(REPO_ROOT, 'tsconfig.build.json'));
  assert.equal(build['extends'], './tsconfig.json');
  assert.deepEqual(build['include'], ['functions', 'src']);
  const { rootDir, outDir, noEmit } = build['compilerOptions'];
  assert.equal(noEmit, false);
  const entry = join(REPO_ROOT, outDir, relative(join(REPO_ROOT, rootDir), join(REPO_ROOT, 'functions', 'index.js')));
  assert.equal(relative(REPO_ROOT, entry), packageJson['main']);
});

test('the package leaves out dependencies and tests but keeps what the remote build compiles', () => {
  const ignored = readFileSync(join(REPO_ROOT, '.funcignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  for (const excluded of ['node_modules/', 'test/', 'dist/', 'local.settings.json']) assert.ok(ignored.includes(excluded), excluded);
  for (const kept of ['src', 'functions', 'infra', 'emulator', 'bin', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'host.json']) {
    assert.ok(!ignored.some((pattern) => pattern.replace(/\/$/, '') === kept), `${kept} is needed by npm run build or the host`);
  }
});

test('main.parameters.json gives every required parameter a value and names only parameters main.bicep declares', () => {
  const declared = declarations(main, 'parameter_declaration');
  const names = declared.map(declaredName);
  for (const name of Object.keys(parameters)) assert.ok(names.includes(name), `main.parameters.json sets '${name}', which main.bicep does not declare`);
  for (const parameter of declared.filter((parameter) => !parameter.children.some((child) => child.type === '='))) {
    assert.ok(parameters[declaredName(parameter)], `required parameter ${declaredName(parameter)} has no value`);
  }
  for (const name of names) assert.ok(parameters[name], `${name} cannot be set from the azd environment`);
});

test('the deployment flags come from the same azd variables in the parameters, the hook and the Graph script', () => {
  const postprovision = readFileSync(join(INFRA_DIR, 'scripts', 'postprovision.sh'), 'utf8');
  const graphScript = readFileSync(join(INFRA_DIR, 'scripts', 'grant-graph-permissions.sh'), 'utf8');
  const managementGroup = parseBicep(join(INFRA_DIR, 'management-group.bicep'));
  for (const flag of DEPLOYMENT_FLAGS) {
    const variable = DEPLOYMENT_FLAG_VARIABLES[flag];
    assert.equal(parameters[flag]?.value, `\${${variable}=false}`, flag);
    assert.ok(graphScript.includes(`--arg ${flag} "\${${variable}:-false}"`), `grant-graph-permissions.sh reads ${variable} for ${flag}`);
  }
  for (const flag of declarations(managementGroup, 'parameter_declaration').map(declaredName).filter((name) => name !== 'botPrincipalId')) {
    assert.ok(postprovision.includes(`${flag}="\${${DEPLOYMENT_FLAG_VARIABLES[flag as keyof typeof DEPLOYMENT_FLAG_VARIABLES]}:-false}"`), `postprovision passes ${flag}`);
  }
  assert.ok(postprovision.includes('botPrincipalId="${IDWARDEN_BOT_PRINCIPAL_ID}"'));
  assert.ok(existsSync(join(INFRA_DIR, 'management-group.bicep')) && postprovision.includes('management-group.bicep'));
  // The hooks read values main.bicep outputs.
  const outputs = declarations(main, 'output_declaration').map(declaredName);
  for (const used of ['IDWARDEN_BOT_PRINCIPAL_ID', 'IDWARDEN_TARGET_MANAGEMENT_GROUP', 'AZURE_LOCATION']) assert.ok(outputs.includes(used), used);
});
