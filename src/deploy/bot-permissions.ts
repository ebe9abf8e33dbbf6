import { z } from 'zod';
import botPermissionsFile from '../../infra/data/bot-permissions.json' with { type: 'json' };

/**
 * The bot's permissions, read from infra/data/bot-permissions.json: the file the Bicep deploys from, the README
 * table is written from and the emulator-backed tests seed the bot with, so what is granted, documented and
 * tested cannot drift apart.
 */

/** The deployment parameters that switch grants on (main.bicep `param`s of the same names), and `always`. */
export const DEPLOYMENT_FLAGS = ['enableRemediation', 'enableIdentityDeletion', 'enableEmail', 'enableGraphAppRoleRemediation'] as const;
export type DeploymentFlag = (typeof DEPLOYMENT_FLAGS)[number];
export type DeploymentFlags = Partial<Record<DeploymentFlag, boolean>>;

/** The azd environment variable behind each flag (infra/main.parameters.json; the hooks and scripts read the same). */
export const DEPLOYMENT_FLAG_VARIABLES: Record<DeploymentFlag, string> = {
  enableRemediation: 'IDWARDEN_ENABLE_REMEDIATION',
  enableIdentityDeletion: 'IDWARDEN_ENABLE_IDENTITY_DELETION',
  enableEmail: 'IDWARDEN_ENABLE_EMAIL',
  enableGraphAppRoleRemediation: 'IDWARDEN_ENABLE_GRAPH_APP_ROLE_REMEDIATION',
};

/** Where an Azure role is assigned: the governed estate, or one of the bot's own resources. */
export const AZURE_ROLE_SCOPES = ['target', 'storage', 'keyVault'] as const;
export type AzureRoleScope = (typeof AZURE_ROLE_SCOPES)[number];

/** Stands for the bot's object id in a condition; the deployment substitutes it. */
export const BOT_PRINCIPAL_PLACEHOLDER = 'BOT_PRINCIPAL_ID';

const name = z.string().regex(/^[a-z][a-z0-9-]*$/, 'expected a lower-case kebab-case name');
const features = z.array(name).min(1);
const enabledBy = z.enum(['always', ...DEPLOYMENT_FLAGS]);
const why = z.string().min(20, 'say why the bot needs it');

const AzureRoleGrant = z.strictObject({
  name,
  roleName: z.string().min(1),
  roleDefinitionId: z.guid(),
  scope: z.enum(AZURE_ROLE_SCOPES),
  enabledBy,
  features,
  /** An ABAC condition (version 2.0), or null. */
  condition: z.string().min(1).nullable(),
  why,
});

const GraphAppRoleGrant = z.strictObject({ name, value: z.string().min(1), id: z.guid(), enabledBy, features, why });

/** Grants no template can make (another service's own authorization): documented, never deployed. */
const ManualGrant = z.strictObject({ name, service: z.string().min(1), grant: z.string().min(1), features, why });

const BotPermissionsFile = z
  .strictObject({
    description: z.string().min(1),
    features: z.array(z.strictObject({ name, description: z.string().min(1) })).min(1),
    azureRoles: z.array(AzureRoleGrant),
    graphAppRoles: z.array(GraphAppRoleGrant),
    manualGrants: z.array(ManualGrant),
  })
  .superRefine((file, ctx) => {
    const declared = new Set(file.features.map((feature) => feature.name));
    const served = new Set<string>();
    const grantNames = new Set<string>();
    const lists = [
      ['azureRoles', file.azureRoles],
      ['graphAppRoles', file.graphAppRoles],
      ['manualGrants', file.manualGrants],
    ] as const;
    for (const [list, grants] of lists) {
      grants.forEach((grant, index) => {
        if (grantNames.has(grant.name)) ctx.addIssue({ code: 'custom', path: [list, index, 'name'], message: `grant name '${grant.name}' is used twice` });
        grantNames.add(grant.name);
        grant.features.forEach((feature, at) => {
          if (!declared.has(feature)) ctx.addIssue({ code: 'custom', path: [list, index, 'features', at], message: `'${feature}' is not a declared feature` });
          served.add(feature);
        });
      });
    }
    file.features.forEach((feature, index) => {
      if (!served.has(feature.name)) ctx.addIssue({ code: 'custom', path: ['features', index], message: `no grant serves the feature '${feature.name}'` });
    });
    file.azureRoles.forEach((role, index) => {
      if (role.condition !== null && role.scope !== 'target') {
        ctx.addIssue({ code: 'custom', path: ['azureRoles', index, 'condition'], message: 'conditions are only deployed on target-scope roles' });
      }
    });
  });

export type BotPermissions = z.infer<typeof BotPermissionsFile>;
export type AzureRoleGrant = z.infer<typeof AzureRoleGrant>;
export type GraphAppRoleGrant = z.infer<typeof GraphAppRoleGrant>;

/** Checks a permissions document; throws a ZodError listing every problem. */
export function parseBotPermissions(document: unknown): BotPermissions {
  return BotPermissionsFile.parse(document);
}

export const botPermissions: BotPermissions = parseBotPermissions(botPermissionsFile);

/** Whether a deployment with these parameters makes the grant (manual grants are never deployed). */
export function isDeployed(grant: AzureRoleGrant | GraphAppRoleGrant, flags: DeploymentFlags): boolean {
  return grant.enabledBy === 'always' || flags[grant.enabledBy] === true;
}

/** The condition as deployed for one bot: the placeholder replaced by its object id, as main.bicep does. */
export function conditionFor(grant: AzureRoleGrant, botPrincipalId: string): string | null {
  return grant.condition === null ? null : grant.condition.replaceAll(BOT_PRINCIPAL_PLACEHOLDER, botPrincipalId);
}
