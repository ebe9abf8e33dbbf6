import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { botPermissions, DEPLOYMENT_FLAG_VARIABLES, type AzureRoleScope, type BotPermissions, type DeploymentFlag } from './bot-permissions.ts';

/**
 * The README's permissions table, written from infra/data/bot-permissions.json so the documentation says
 * exactly what the deployment grants. `node --import tsx src/deploy/write-permissions-table.ts` rewrites it.
 */
export const README_FILE = join(import.meta.dirname, '..', '..', 'README.md');
export const TABLE_START = '<!-- bot-permissions:start (generated from infra/data/bot-permissions.json; regenerate with node --import tsx src/deploy/write-permissions-table.ts) -->';
export const TABLE_END = '<!-- bot-permissions:end -->';

const WHERE: Record<AzureRoleScope, string> = {
  target: 'the governed management group or subscriptions',
  storage: "the bot's storage account",
  keyVault: "the bot's key vault",
};

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');
const when = (enabledBy: 'always' | DeploymentFlag) => (enabledBy === 'always' ? 'always' : `\`${enabledBy}\` (\`${DEPLOYMENT_FLAG_VARIABLES[enabledBy]}=true\`)`);
const features = (names: readonly string[]) => names.map((name) => `\`${name}\``).join(', ');

export function renderPermissionsTable(permissions: BotPermissions = botPermissions): string {
  const rows = [
    ...permissions.azureRoles.map((role) => [
      `Azure role **${role.roleName}**${role.condition === null ? '' : ' with an ABAC condition (below)'}`,
      WHERE[role.scope],
      when(role.enabledBy),
      features(role.features),
      role.why,
    ]),
    ...permissions.graphAppRoles.map((appRole) => [`Microsoft Graph **${appRole.value}** (application)`, 'the tenant', when(appRole.enabledBy), features(appRole.features), appRole.why]),
    ...permissions.manualGrants.map((grant) => [`${grant.service}: ${grant.grant}`, grant.service, 'by hand, when used', features(grant.features), grant.why]),
  ];
  const conditions = permissions.azureRoles
    .filter((role) => role.condition !== null)
    .map((role) => `The condition on **${role.roleName}** (\`BOT_PRINCIPAL_ID\` becomes the bot's object id):\n\n\`\`\`text\n${role.condition}\n\`\`\``);
  return [
    '| permission | where | when | for | why |',
    '|---|---|---|---|---|',
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
    '',
    ...conditions,
  ].join('\n');
}

/** The README with its permissions table replaced by a fresh rendering. */
export function withPermissionsTable(readme: string, table = renderPermissionsTable()): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${TABLE_START} ... ${TABLE_END} block`);
  return `${readme.slice(0, start + TABLE_START.length)}\n${table}\n${readme.slice(end)}`;
}

export function writePermissionsTable(file = README_FILE): void {
  writeFileSync(file, withPermissionsTable(readFileSync(file, 'utf8')));
}
