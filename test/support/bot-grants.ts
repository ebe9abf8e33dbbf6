import type { SeedInput } from '../../emulator/seed/schema.ts';
import { botPermissions, isDeployed, type DeploymentFlags } from '../../src/deploy/bot-permissions.ts';

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
 * ABAC conditions are left out on purpose. The emulator does not evaluate conditions yet and fails closed
 * (emulator/authz/rbac.ts: an assignment with a condition grants nothing), so the conditioned RBAC
 * Administrator would grant nothing at all there. The tests therefore run with what the role allows, not
 * with what its condition further restricts; once the emulator evaluates conditions, seed
 * `conditionFor(grant, principalId)` here instead.
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
