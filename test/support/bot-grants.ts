import type { SeedInput } from '../../emulator/seed/schema.ts';
import { botPermissions, conditionFor, isDeployed, type DeploymentFlags } from '../../src/deploy/bot-permissions.ts';

type SeedRoleAssignment = NonNullable<SeedInput['roleAssignments']>[number];
type SeedAppRoleAssignment = NonNullable<SeedInput['appRoleAssignments']>[number];

export interface BotGrantOptions {
  principalId: string;
  /** Where the deployment assigns the bot's target roles: a management group, or each governed subscription. */
  targetScopes: readonly string[];
  /** The deployment's parameters; a flag left out is off, as in main.bicep. */
  flags?: DeploymentFlags;
}

export interface BotGrants {
  roleAssignments: SeedRoleAssignment[];
  appRoleAssignments: SeedAppRoleAssignment[];
}

/**
 * The seed entries that give a bot exactly what a deployment with these parameters grants it, read from
 * infra/data/bot-permissions.json like the Bicep is.
 *
 * Only target-scope roles and Graph app roles are seeded: the storage and key-vault roles are on the bot's own
 * resources, which the emulator does not model (Azurite does not enforce RBAC).
 *
 * ABAC conditions are seeded as deployed (the bot's object id substituted like the Bicep does), and the emulator
 * evaluates them (emulator/authz/abac.ts), so the tests run with what the condition allows, not what the role does.
 */
export function botGrants(options: BotGrantOptions): BotGrants {
  const flags = options.flags ?? {};
  const roleAssignments = botPermissions.azureRoles
    .filter((grant) => grant.scope === 'target' && isDeployed(grant, flags))
    .flatMap((grant) =>
      options.targetScopes.map((scope) => ({
        scope,
        role: grant.roleDefinitionId,
        principalId: options.principalId,
        principalType: 'ServicePrincipal' as const,
        description: `idwarden ${grant.name}`,
        condition: conditionFor(grant, options.principalId),
      })),
    );
  const appRoleAssignments = botPermissions.graphAppRoles
    .filter((grant) => isDeployed(grant, flags))
    .map((grant) => ({ principalId: options.principalId, permission: grant.value }));
  return { roleAssignments, appRoleAssignments };
}

/** The seed with its bot's own grants replaced by exactly `grants`; everyone else's are kept. */
export function withBotGrants(seed: SeedInput, grants: BotGrants): SeedInput {
  const bot = seed.bot.principalId.toLowerCase();
  const others = <T extends { principalId: string }>(entries: readonly T[] | undefined) => (entries ?? []).filter((entry) => entry.principalId.toLowerCase() !== bot);
  return {
    ...seed,
    roleAssignments: [...others(seed.roleAssignments), ...grants.roleAssignments],
    appRoleAssignments: [...others(seed.appRoleAssignments), ...grants.appRoleAssignments],
  };
}
